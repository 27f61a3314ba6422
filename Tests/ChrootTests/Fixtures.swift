import Foundation
import TestSupport

/// A minimal root tree made of the host's own bash, coreutils and their libraries: enough to chroot into.
func makeMinimalRoot(at root: URL) throws {
    let programs = ["/bin/bash", "/usr/bin/env", "/bin/cat", "/bin/sleep", "/bin/ls", "/bin/sh"]
    try shell("""
        set -e; R=\(root.path)
        mkdir -p "$R"/{proc,sys,dev,tmp,etc}
        for p in \(programs.joined(separator: " ")); do
            mkdir -p "$R$(dirname $p)"; cp -L "$p" "$R$p"
            for lib in $(ldd "$p" | grep -o '/[^ ]*'); do mkdir -p "$R$(dirname $lib)"; cp -Ln "$lib" "$R$lib"; done
        done
        """)
}
