import ArgumentParser

/// A switch given as `on` or `off` on the command line (`--compression off`).
enum OnOff: String, ExpressibleByArgument, CaseIterable {
    case on, off

    var isOn: Bool { self == .on }
}
