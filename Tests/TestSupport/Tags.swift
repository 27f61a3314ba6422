public import Testing

extension Tag {
    /// Slow tests that build real images and boot them (`scripts/test --filter` or `swift test --filter` by tag).
    @Tag public static var endToEnd: Self
}
