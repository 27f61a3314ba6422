extension Duration {
    /// The duration in seconds, with its fraction (for timings shown to people and written to manifests).
    public var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
