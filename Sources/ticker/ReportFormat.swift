import ArgumentParser

/// `--format` of `compare` and `bench`: a text table for people, or JSON for machines.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
