/// dibkit's version: `dibkit --version`, and `dibkitVersion` in every manifest.
public let dibkitVersion = "0.1.0"
