import Flavors
import Foundation
import TestSupport
import Testing

@Suite("Flavors: predefined sets and the user's config file")
struct FlavorStoreTests {
    /// A store in a fresh config folder, removed at the end.
    final class Store {
        let folder = try! TemporaryFolder()
        var store: FlavorStore { FlavorStore(file: FlavorStore.defaultFile(environment: ["XDG_CONFIG_HOME": folder.url.path])) }
    }

    @Test("every database has small, medium and large, growing in every field")
    func predefined() throws {
        for database in PredefinedFlavors.databases {
            let flavors = try FlavorStore.defaults(of: database)
            #expect(flavors.map(\.name) == ["small", "medium", "large"])
            for field in FlavorSpec.Field.allCases where field != .rootMB {
                let values = flavors.map { $0.spec[field] }
                #expect(values == values.sorted() && values.first! < values.last!, "\(database) \(field)")
            }
        }
        #expect(throws: FlavorError.unknownDatabase("oracle")) { try FlavorStore.defaults(of: "oracle") }
    }

    @Test("the config file follows XDG_CONFIG_HOME, else ~/.config")
    func configLocation() {
        #expect(FlavorStore.defaultFile(environment: ["XDG_CONFIG_HOME": "/x"]).path == "/x/dibkit/flavors.yaml")
        #expect(FlavorStore.defaultFile(environment: ["HOME": "/home/me"]).path == "/home/me/.config/dibkit/flavors.yaml")
    }

    @Test("change keeps only what differs from the defaults; -1 restores a field; a restored flavor leaves the file")
    func changeAndRestore() throws {
        let fixture = Store()
        let store = fixture.store
        let small = try FlavorStore.defaults(of: "redis")[0]
        #expect(try store.current(of: "redis") == FlavorStore.defaults(of: "redis"))

        let changed = try store.change(database: "redis", flavor: "small", [.ramGB: 4, .databaseMB: 8192])
        #expect(changed.spec.ramGB == 4 && changed.spec.databaseMB == 8192 && changed.spec.vcpus == small.spec.vcpus)
        #expect(try store.current(of: "redis")[0] == changed)
        #expect(try store.current(of: "postgresql") == FlavorStore.defaults(of: "postgresql"))
        let text = try String(contentsOf: store.file, encoding: .utf8)
        #expect(text.contains("redis:\n  small:\n    database_mb: 8192\n    ram_gb: 4\n"), "\(text)")

        let restored = try store.change(database: "redis", flavor: "small", [.ramGB: -1])
        #expect(restored.spec.ramGB == small.spec.ramGB && restored.spec.databaseMB == 8192)
        try store.change(database: "redis", flavor: "small", [.databaseMB: -1])
        #expect(try store.current(of: "redis") == FlavorStore.defaults(of: "redis"))
        #expect(try String(contentsOf: store.file, encoding: .utf8).contains("redis") == false)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.file.deletingLastPathComponent().path)
        #expect(leftovers == ["flavors.yaml"], "an atomic write leaves no temp file")
    }

    @Test("bad changes are refused and the file is not touched")
    func badChanges() throws {
        let store = Store().store
        #expect(throws: FlavorError.nothingToChange) { try store.change(database: "redis", flavor: "small", [:]) }
        #expect(throws: FlavorError.unknownFlavor(database: "redis", name: "huge", known: ["small", "medium", "large"])) {
            try store.change(database: "redis", flavor: "huge", [.vcpus: 2])
        }
        #expect(throws: FlavorError.badValue(field: "vcpus", value: 0, minimum: 1)) {
            try store.change(database: "redis", flavor: "small", [.vcpus: 0])
        }
        #expect(!FileManager.default.fileExists(atPath: store.file.path))
    }

    @Test("a broken config file is named in the error")
    func brokenFile() throws {
        let fixture = Store()
        let store = fixture.store
        try FileManager.default.createDirectory(at: store.file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data("redis: [1, 2".utf8).write(to: store.file)
        #expect { try store.current(of: "redis") } throws: { error in
            (error as? FlavorError).map { "\($0)".hasPrefix(store.file.path) } ?? false
        }
    }
}
