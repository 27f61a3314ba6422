/// Helper programs elements expect on PATH inside the root (diskimage-builder's interface), placed by the
/// build in `/tmp/in_target.d/bin` and removed with it.
public enum InTargetTools {
    /// File name → contents.
    public static let files: [String: String] = [
        "install-packages": installPackages,
        "dib-init-system": "#!/bin/sh\necho systemd\n",
    ]

    /// `install-packages [-e] [-d] [-m MAP] PACKAGE…`: apt without recommends; `-e` removes instead.
    /// `-m` (DIB's pkg-map) is accepted; names are used as given. Lists are fetched once if missing.
    static let installPackages = """
        #!/bin/bash
        # install-packages [-e] [-d] [-m MAP] PACKAGE... -- diskimage-builder's interface, for dibkit builds.
        set -eu -o pipefail
        erase=0
        while getopts "edm:" option; do
            case "$option" in
                e) erase=1 ;;
                d|m) ;;
                *) echo "usage: install-packages [-e] [-d] [-m MAP] PACKAGE..." >&2; exit 2 ;;
            esac
        done
        shift $((OPTIND - 1))
        [ "$#" -gt 0 ] || exit 0
        export DEBIAN_FRONTEND=noninteractive
        apt_options=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
        if [ "$erase" = 1 ]; then
            apt-get "${apt_options[@]}" purge "$@"
            apt-get "${apt_options[@]}" autoremove --purge
            exit 0
        fi
        if ! ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1; then
            apt-get -q update
        fi
        apt-get "${apt_options[@]}" install --no-install-recommends "$@"

        """
}
