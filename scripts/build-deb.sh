#!/usr/bin/env bash
# Builds the Debian package of nut-rs in one command: release binaries, then
# target/debian/nut-rs_<version>_<arch>.deb with the programs at the paths Debian's nut-server
# and nut-client packages use, the sample configurations as conffiles under /etc/nut, and
# whatever of these exists in the tree: systemd units, tmpfiles.d and sysusers.d files and the
# shutdown hook (packaging/systemd/), udev rules (packaging/udev/), man pages (docs/man/).
#
#     scripts/build-deb.sh [--no-build] [--profile PROFILE] [--version VERSION] [--out DIR]
#
#   --no-build         use the binaries already built (no cargo run)
#   --profile PROFILE  cargo profile to build and package (default release; dev packages the
#                      debug build, for quick checks of the packaging only)
#   --version VERSION  package version instead of the newest in packaging/debian/changelog
#                      (a changelog entry is added to the packaged changelog for it); the
#                      tests build a higher version this way to check upgrades
#   --out DIR          where the .deb goes (default target/debian)
#
# Needs: cargo, dpkg-dev (dpkg-gencontrol, dpkg-shlibdeps, dpkg-parsechangelog), binutils
# (strip, readelf), gzip. No root and no fakeroot: dpkg-deb --root-owner-group makes every file
# root:root, modes are set here. Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

build=1
profile=release
version=""
out="$top/target/debian"
while [ "$#" -gt 0 ]; do
    case "$1" in
    --no-build) build=0 ;;
    --profile)
        profile="${2:?--profile needs a value}"
        shift
        ;;
    --version)
        version="${2:?--version needs a value}"
        shift
        ;;
    --out)
        out="${2:?--out needs a directory}"
        shift
        ;;
    -h | --help)
        sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "build-deb.sh: unknown argument $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

for tool in dpkg-deb dpkg-gencontrol dpkg-shlibdeps dpkg-parsechangelog strip readelf gzip; do
    command -v "$tool" >/dev/null || {
        echo "build-deb.sh: $tool is missing (apt-get install dpkg-dev binutils gzip)" >&2
        exit 1
    }
done

pkg=nut-rs
deb=packaging/debian
arch=$(dpkg --print-architecture)

# Programs and where Debian's nut packages put them. upsd and upsmon live in /lib/nut with a
# /sbin wrapper that honours nut.conf's MODE, as in Debian.
declare -A dest=(
    [upsd]=lib/nut/upsd
    [upsmon]=lib/nut/upsmon
    [upssched]=sbin/upssched
    [upsdrvctl]=sbin/upsdrvctl
    [nut-tls-setup]=sbin/nut-tls-setup
    [upsc]=bin/upsc
    [upscmd]=bin/upscmd
    [upsrw]=bin/upsrw
    [upslog]=bin/upslog
    [nut-scanner]=bin/nut-scanner
    [dummy-ups]=lib/nut/dummy-ups
    [usbhid-ups]=lib/nut/usbhid-ups
    [nutdrv_qx]=lib/nut/nutdrv_qx
    [blazer_ser]=lib/nut/blazer_ser
    [blazer_usb]=lib/nut/blazer_usb
    [apcsmart]=lib/nut/apcsmart
    [bcmxcp]=lib/nut/bcmxcp
    [bcmxcp_usb]=lib/nut/bcmxcp_usb
    [genericups]=lib/nut/genericups
    [metasys]=lib/nut/metasys
    [mge-shut]=lib/nut/mge-shut
    [nhs_ser]=lib/nut/nhs_ser
    [nutdrv_hashx]=lib/nut/nutdrv_hashx
    [powerpanel]=lib/nut/powerpanel
    [riello_ser]=lib/nut/riello_ser
    [riello_usb]=lib/nut/riello_usb
)

if [ "$build" -eq 1 ]; then
    echo "== cargo build --profile $profile (every program of the workspace)" >&2
    # Run from a test (cargo test sets these for the test binary), they would reach build
    # scripts that track them (ring's tracks CARGO_MANIFEST_DIR) and rebuild everything.
    for v in $(compgen -e | grep -E '^(CARGO_(MANIFEST_|PKG_|CRATE_|BIN_|PRIMARY_PACKAGE|TARGET_TMPDIR)|OUT_DIR$)'); do
        unset "$v"
    done
    # Not the test-only programs (nut-tests, ups-sim).
    cargo build --profile "$profile" --locked --workspace --bins --exclude nut-tests --exclude ups-sim >&2
fi
# Programs come from cargo's target directory (CARGO_TARGET_DIR when set, relative to the top).
tdir="${CARGO_TARGET_DIR:-$top/target}"
case "$tdir" in /*) ;; *) tdir="$top/$tdir" ;; esac
case "$profile" in
dev | test) rel="$tdir/debug" ;;
*) rel="$tdir/$profile" ;;
esac

mkdir -p "$out"
work="$top/target/debian/work-$$"
rm -rf "$work"
trap 'rm -rf "$work"' EXIT
stage="$work/$pkg"
mkdir -p "$stage/DEBIAN" "$work/debian"

# A binary built with debug info: strip it as dh_strip does.
install_prog() { # install_prog SOURCE DEST (DEST relative to the package root)
    install -D -m 0755 "$1" "$stage/$2"
    strip --remove-section=.comment --remove-section=.note --strip-unneeded "$stage/$2"
}
install_file() { # install_file MODE SOURCE DEST
    install -D -m "$1" "$2" "$stage/$3"
}

for prog in "${!dest[@]}"; do
    [ -x "$rel/$prog" ] || {
        echo "build-deb.sh: $rel/$prog is missing (run without --no-build)" >&2
        exit 1
    }
    install_prog "$rel/$prog" "${dest[$prog]}"
done
install_file 0755 "$deb/upsd.wrapper" sbin/upsd
install_file 0755 "$deb/upsmon.wrapper" sbin/upsmon

# Sample configurations: root-only until postinst hands them to group nut.
while read -r conffile; do
    name=${conffile#/etc/nut/}
    install_file 0640 "conf/$name.sample" "etc/nut/$name"
done <"$deb/conffiles"
install -d -m 0755 "$stage/etc/nut"
install -d -m 0755 "$stage/var/lib/nut"
install_file 0644 crates/nut-core/data/cmdvartab usr/share/nut/cmdvartab

# systemd and udev: packaging/systemd/install.list says where each file goes ("source
# destination mode"; a source under target/release/ is a program of this build). Without
# that list, files are placed by their names: units in /lib/systemd/system, *tmpfiles* in
# /usr/lib/tmpfiles.d, *sysusers* in /usr/lib/sysusers.d, nutshutdown in
# /lib/systemd/system-shutdown; udev rules go to /lib/udev/rules.d.
shopt -s nullglob
place() { # place SOURCE DEST MODE
    local src=$1 dst=${2#/} mode=$3
    case "$src" in
    target/release/*) src="$rel/${src#target/release/}" ;;
    esac
    [ -e "$src" ] || {
        echo "build-deb.sh: $src (for /$dst) is missing" >&2
        exit 1
    }
    if [ "$(head -c4 "$src" | od -An -c | tr -d ' ')" = '177ELF' ]; then
        install_prog "$src" "$dst"
        chmod "$mode" "$stage/$dst"
    else
        install_file "$mode" "$src" "$dst"
    fi
}
list=packaging/systemd/install.list
if [ -f "$list" ]; then
    listed=()
    while read -r src dst mode; do
        case "$src" in '' | '#'*) continue ;; esac
        [ -n "$mode" ] || {
            echo "build-deb.sh: $list: '$src $dst': expected source, destination and mode" >&2
            exit 1
        }
        place "$src" "$dst" "$mode"
        listed+=("$src")
    done <"$list"
    # A file of packaging/systemd/ the list forgets would silently be left out.
    for f in packaging/systemd/*; do
        [ "$f" = "$list" ] && continue
        printf '%s\n' "${listed[@]}" | grep -qxF "$f" || {
            echo "build-deb.sh: $f is not in $list" >&2
            exit 1
        }
    done
else
    for f in packaging/systemd/*.service packaging/systemd/*.target packaging/systemd/*.path \
        packaging/systemd/*.socket packaging/systemd/*.timer; do
        place "$f" "lib/systemd/system/$(basename "$f")" 0644
    done
    for f in packaging/systemd/*tmpfiles*; do
        name=$(basename "$f")
        name=${name%.conf}
        place "$f" "usr/lib/tmpfiles.d/${name%.tmpfiles}.conf" 0644
    done
    for f in packaging/systemd/*sysusers*; do
        name=$(basename "$f")
        name=${name%.conf}
        place "$f" "usr/lib/sysusers.d/${name%.sysusers}.conf" 0644
    done
    if [ -f packaging/systemd/nutshutdown ]; then
        place packaging/systemd/nutshutdown lib/systemd/system-shutdown/nutshutdown 0755
    fi
fi
for f in packaging/udev/*.rules; do
    [ -e "$stage/lib/udev/rules.d/$(basename "$f")" ] || place "$f" "lib/udev/rules.d/$(basename "$f")" 0644
done

# Units with an [Install] section are enabled on install (as dh_installsystemd does; template
# units are not); the maintainer scripts get their names, and the tmpfiles.d names.
units=()
enable_units=()
for f in "$stage"/lib/systemd/system/*; do
    name=$(basename "$f")
    units+=("$name")
    if grep -q '^\[Install\]' "$f" && [[ "$name" != *@.* ]]; then
        enable_units+=("$name")
    fi
done
tmpfiles=()
for f in "$stage"/usr/lib/tmpfiles.d/*.conf; do
    tmpfiles+=("$(basename "$f")")
done
# Every program of ours a unit runs is in the package (system programs such as /bin/sh or
# systemd-tmpfiles are not checked).
for u in "${units[@]}"; do
    grep -E '^Exec[A-Za-z]*=' "$stage/lib/systemd/system/$u" |
        grep -oE '(^|[=[:space:]"'\''`@+!:-])/(usr/)?(s?bin|lib|libexec)/[A-Za-z0-9_./@-]+' |
        sed -E 's,^[^/]*,,' || true
done | sort -u | while read -r path; do
    rel_path=${path#/}
    base=$(basename "$path")
    case "$path" in
    /lib/nut/* | /usr/lib/nut/* | /usr/libexec/*) ;;
    *) case "$base" in ups* | nut*) ;; *) continue ;; esac ;;
    esac
    # Merged /usr: /usr/sbin/upsd is /sbin/upsd.
    [ -e "$stage/$rel_path" ] || [ -e "$stage/${rel_path#usr/}" ] || {
        echo "build-deb.sh: a unit runs $path, which is not in the package" >&2
        exit 1
    }
done

# Man pages, compressed as dh_installman does. hosts.conf(5) and upsset.conf(5) document
# NUT's CGI programs, which this package does not ship: Debian's nut-cgi has those pages (and
# can stay installed beside this package).
for f in docs/man/*.[1-8]; do
    case "$(basename "$f")" in hosts.conf.5 | upsset.conf.5) continue ;; esac
    section=${f##*.}
    install_file 0644 "$f" "usr/share/man/man$section/$(basename "$f")"
    gzip -9n "$stage/usr/share/man/man$section/$(basename "$f")"
done
# The enumerator is installed under NUT's script name; its page answers to that name too.
if [ -f "$stage/usr/share/man/man8/nut-driver-enumerator.8.gz" ]; then
    printf '.so man8/nut-driver-enumerator.8\n' | gzip -9n >"$stage/usr/share/man/man8/nut-driver-enumerator.sh.8.gz"
    chmod 0644 "$stage/usr/share/man/man8/nut-driver-enumerator.sh.8.gz"
fi

# Changelog (with an entry for --version), copyright, lintian overrides.
cp "$deb/control" "$work/debian/control"
if [ -n "$version" ]; then
    {
        printf '%s (%s) unstable; urgency=medium\n\n' "$pkg" "$version"
        printf '  * Local build of version %s.\n\n' "$version"
        printf ' -- %s  %s\n\n' "$(dpkg-parsechangelog -l "$deb/changelog" -S Maintainer)" \
            "$(dpkg-parsechangelog -l "$deb/changelog" -S Date)"
        cat "$deb/changelog"
    } >"$work/debian/changelog"
else
    cp "$deb/changelog" "$work/debian/changelog"
    version=$(dpkg-parsechangelog -l "$deb/changelog" -S Version)
fi
install_file 0644 "$work/debian/changelog" "usr/share/doc/$pkg/changelog.Debian"
gzip -9n "$stage/usr/share/doc/$pkg/changelog.Debian"
install_file 0644 "$deb/copyright" "usr/share/doc/$pkg/copyright"
install_file 0644 "$deb/lintian-overrides" "usr/share/lintian/overrides/$pkg"

# Maintainer scripts, told which units and tmpfiles the package ships.
for s in postinst prerm postrm; do
    sed -e "s|@UNITS@|${enable_units[*]}|" -e "s|@TMPFILES@|${tmpfiles[*]}|" \
        "$deb/$s" >"$stage/DEBIAN/$s"
    chmod 0755 "$stage/DEBIAN/$s"
done
install -m 0644 "$deb/conffiles" "$stage/DEBIAN/conffiles"
# Every file under /etc is a conffile, and every conffile is shipped.
diff <(cd "$stage" && find etc -type f | sed 's,^,/,' | sort) <(sort "$deb/conffiles") >&2 || {
    echo "build-deb.sh: packaging/debian/conffiles does not list exactly the files under /etc" >&2
    exit 1
}

# Dependencies from the ELF files (dpkg-shlibdeps), then the control file.
mapfile -t elves < <(find "$stage" -path "$stage/DEBIAN" -prune -o -type f -print |
    while read -r f; do [ "$(head -c4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"; done)
substvars="$work/debian/substvars"
: >"$substvars"
(cd "$work" && dpkg-shlibdeps -O "${elves[@]}") >>"$substvars"
if [ "${#enable_units[@]}" -gt 0 ]; then
    echo 'misc:Pre-Depends=init-system-helpers (>= 1.54~)' >>"$substvars"
else
    echo 'misc:Pre-Depends=' >>"$substvars"
fi
# Packed relative relocations (.cargo/config.toml) need glibc 2.36's loader; dpkg-shlibdeps
# does not see that version node, so say it (dpkg-gencontrol keeps the stricter libc6).
misc_depends=""
for f in "${elves[@]}"; do
    if readelf -V "$f" 2>/dev/null | grep -q 'GLIBC_ABI_DT_RELR'; then
        misc_depends="libc6 (>= 2.36)"
        break
    fi
done
echo "misc:Depends=$misc_depends" >>"$substvars"

# Directories 0755, timestamps clamped to the changelog's date (reproducible builds).
find "$stage" -type d -exec chmod 0755 {} +
epoch=$(dpkg-parsechangelog -l "$work/debian/changelog" -S Timestamp)
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -print0 | sort -z | xargs -0 md5sum |
    sed 's,  \./,  ,') >"$stage/DEBIAN/md5sums"
chmod 0644 "$stage/DEBIAN/md5sums"
(cd "$work" && dpkg-gencontrol -p"$pkg" -P"$stage" -T"$substvars" -v"$version")
find "$stage" -exec touch -h -d "@$epoch" {} +

debfile="$out/${pkg}_${version#*:}_${arch}.deb"
SOURCE_DATE_EPOCH=$epoch dpkg-deb --root-owner-group -Zxz --build "$stage" "$debfile" >&2
echo "$debfile"
