/// Helper programs elements expect on PATH inside the root (diskimage-builder's interface), placed by
/// the build in `/tmp/in_target.d/bin` and removed with it.
///
/// - `install-packages [-e] [-u] [-m ELEMENT] PACKAGE...`: apt without recommends,
///   `DEBIAN_FRONTEND=noninteractive`, keeping changed configuration files; the package lists are fetched
///   once when there are none. `-e` removes (purging, then removing what only those packages needed),
///   `-u` upgrades everything, `-m ELEMENT` translates the names through that element's `pkg-map` first.
/// - `pkg-map --element ELEMENT [--missing-ok] [--prefix P] NAME...`: prints the translations of names
///   from `/tmp/in_target.d/pkg-map.d/ELEMENT` (written by the build from `BuildPlan.packageMapFiles`).
///   Exit 2 when the element has no map, 1 for a name without a translation (both fine with `--missing-ok`).
/// - `dib-init-system`: prints `systemd`.
public enum InTargetTools {
    /// File name → contents.
    public static let files: [String: String] = [
        "install-packages": installPackages,
        "pkg-map": packageMap,
        "dib-init-system": "#!/bin/sh\necho systemd\n",
    ]

    static let installPackages = #"""
        #!/bin/bash
        # install-packages [-e] [-u] [-m ELEMENT] PACKAGE... -- diskimage-builder's interface, for dibkit builds.
        set -eu -o pipefail
        usage() { echo "usage: install-packages [-e] [-u] [-m ELEMENT] PACKAGE..." >&2; }
        action=install
        map=""
        while getopts ":huem:" option; do
            case "$option" in
                e) action=remove ;;
                u) action=dist-upgrade ;;
                m) map=$OPTARG ;;
                h) usage; exit 0 ;;
                :) echo "install-packages: -$OPTARG needs an element name" >&2; usage; exit 1 ;;
                *) echo "install-packages: unknown option -$OPTARG" >&2; usage; exit 1 ;;
            esac
        done
        shift $((OPTIND - 1))
        packages=("$@")
        if [ -n "$map" ] && [ "$#" -gt 0 ]; then
            mapfile -t packages < <("$(dirname "$0")/pkg-map" --missing-ok --element "$map" "$@")
        fi
        export DEBIAN_FRONTEND=noninteractive
        apt_options=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
        if [ "$action" != remove ] && ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
            apt-get -q update
        fi
        case "$action" in
            dist-upgrade)
                apt-get "${apt_options[@]}" dist-upgrade ;;
            remove)
                if [ "${#packages[@]}" -eq 0 ]; then echo "install-packages: nothing to remove"; exit 0; fi
                apt-get "${apt_options[@]}" purge "${packages[@]}"
                apt-get "${apt_options[@]}" autoremove --purge ;;
            install)
                if [ "${#packages[@]}" -eq 0 ]; then echo "install-packages: nothing to install"; exit 0; fi
                apt-get "${apt_options[@]}" install --no-install-recommends "${packages[@]}" ;;
        esac

        """#

    static let packageMap = #"""
        #!/bin/bash
        # pkg-map --element ELEMENT [--missing-ok] [--prefix P] NAME... -- diskimage-builder's interface.
        # Translations come from pkg-map.d/ELEMENT beside this bin folder, resolved for this build's
        # distribution and release (so --distro and --release are accepted and not needed).
        set -euf -o pipefail
        element=""; prefix=""; missing_ok=0; names=()
        while [ "$#" -gt 0 ]; do
            case "$1" in
                --element) element=${2:?--element needs a name}; shift 2 ;;
                --element=*) element=${1#*=}; shift ;;
                --prefix) prefix=${2?--prefix needs a value}; shift 2 ;;
                --prefix=*) prefix=${1#*=}; shift ;;
                --distro|--release|--pkg-map) shift 2 ;;
                --distro=*|--release=*|--pkg-map=*|--debug) shift ;;
                --missing-ok) missing_ok=1; shift ;;
                -h|--help) echo "usage: pkg-map --element ELEMENT [--missing-ok] [--prefix P] NAME..."; exit 0 ;;
                --) shift; names+=("$@"); break ;;
                -*) echo "pkg-map: unknown option $1" >&2; exit 1 ;;
                *) names+=("$1"); shift ;;
            esac
        done
        if [ -z "$element" ]; then echo "pkg-map: give --element ELEMENT" >&2; exit 1; fi
        file="$(dirname "$0")/../pkg-map.d/$element"
        if [ ! -f "$file" ]; then
            if [ "$missing_ok" = 1 ]; then
                for name in ${names[@]+"${names[@]}"}; do printf '%s%s\n' "$prefix" "$name"; done
                exit 0
            fi
            echo "pkg-map: element $element has no pkg-map" >&2
            exit 2
        fi
        declare -A translation=()
        while IFS=$'\t' read -r name packages; do
            [ -n "$name" ] && translation["$name"]=$packages
        done < "$file"
        for name in ${names[@]+"${names[@]}"}; do
            if [ -n "${translation[$name]+set}" ]; then
                for package in ${translation[$name]}; do printf '%s%s\n' "$prefix" "$package"; done
            elif [ "$missing_ok" = 1 ]; then
                printf '%s%s\n' "$prefix" "$name"
            else
                echo "pkg-map: $element has no translation for $name" >&2
                exit 1
            fi
        done

        """#
}
