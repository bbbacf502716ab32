import HarePerf

/// A `hare perf` configuration against the test broker, with `change` applied to the defaults.
func perfConfiguration(_ change: (inout PerfConfiguration) -> Void) -> PerfConfiguration {
    var configuration = PerfConfiguration()
    configuration.url = Broker.url
    change(&configuration)
    return configuration
}
