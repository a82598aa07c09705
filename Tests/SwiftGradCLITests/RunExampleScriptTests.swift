import Foundation
import _TestSupport
import Testing

/// `scripts/run-example [CONFIG] [FLAGS]`, run on a copy of itself beside stand-ins for what it
/// calls (`scripts/install-dependencies`, `swift`, `.build/release/swiftgrad`), so that the test
/// checks the command line it builds without building anything.
@Suite struct RunExampleScriptTests {
    /// A copy of the script in `repo/scripts`, stand-ins that exit 0, a `swiftgrad` that prints
    /// its working directory and one `arg=[…]` line per argument, and a folder with a space in
    /// its name to call the script from.
    struct Sandbox {
        let directory: TemporaryDirectory
        var repository: String { directory.path + "/repo" }
        var caller: String { directory.path + "/my runs" }

        init() throws {
            directory = try TemporaryDirectory()
            let manager = FileManager.default
            for folder in ["repo/scripts", "repo/.build/release", "bin", "my runs"] {
                try manager.createDirectory(atPath: directory.path + "/" + folder, withIntermediateDirectories: true)
            }
            try manager.copyItem(atPath: repositoryRoot + "/scripts/run-example", toPath: repository + "/scripts/run-example")
            let standIns = [
                "repo/scripts/install-dependencies": "#!/bin/sh\nexit 0\n",
                "bin/swift": "#!/bin/sh\nexit 0\n",
                "repo/.build/release/swiftgrad": "#!/bin/sh\necho \"cwd=$(pwd)\"\nfor a in \"$@\"; do echo \"arg=[$a]\"; done\n",
            ]
            for (name, text) in standIns {
                let path = try directory.write(name, text)
                try manager.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
            }
        }

        /// Runs the script from ``caller`` with `arguments`, `swift` found in the sandbox.
        func runExample(_ arguments: [String]) throws -> ProcessResult {
            let path = directory.path + "/bin:" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            return try runProcess("/usr/bin/env", ["PATH=" + path, repository + "/scripts/run-example"] + arguments, in: caller)
        }
    }

    @Test func aConfigAndFlagsAreReadFromTheCallersDirectory() throws {
        let sandbox = try Sandbox()
        defer { sandbox.directory.remove() }
        let result = try sandbox.runExample(["my config.json", "--epochs", "2", "--report", "report one.json"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.split(separator: "\n") == [
            "cwd=\(sandbox.caller)", "arg=[run]", "arg=[my config.json]",
            "arg=[--epochs]", "arg=[2]", "arg=[--report]", "arg=[report one.json]",
        ], "\(result.output)")
    }

    @Test func flagsAloneGoToTheDigitsConfig() throws {
        let sandbox = try Sandbox()
        defer { sandbox.directory.remove() }
        let result = try sandbox.runExample(["--workers", "1", "--quiet"])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.split(separator: "\n") == [
            "cwd=\(sandbox.caller)", "arg=[run]", "arg=[\(sandbox.repository)/Configs/digits-mlp.json]",
            "arg=[--workers]", "arg=[1]", "arg=[--quiet]",
        ], "\(result.output)")
    }

    @Test func noArgumentsRunTheDigitsConfig() throws {
        let sandbox = try Sandbox()
        defer { sandbox.directory.remove() }
        let result = try sandbox.runExample([])
        #expect(result.status == 0, "\(result.error)")
        #expect(result.output.split(separator: "\n") == [
            "cwd=\(sandbox.caller)", "arg=[run]", "arg=[\(sandbox.repository)/Configs/digits-mlp.json]",
        ], "\(result.output)")
    }
}
