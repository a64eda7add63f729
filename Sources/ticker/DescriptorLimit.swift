import Foundation

/// Raises this process's soft limit on open files to its hard limit (children inherit it): a fan-out server and its
/// load generator each hold one descriptor per connection, and the usual soft limit of 1024 is far too low.
func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
}
