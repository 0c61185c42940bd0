#!/usr/bin/env bash
# Builds the Debian package of nut-rs in one command: release binaries, then
# target/debian/nut-rs_<version>_<arch>.deb with the programs at the paths Debian's nut-server
# and nut-client packages use, the sample configurations as conffiles under /etc/nut, and
# whatever of these exists in the tree: systemd units, tmpfiles.d and sysusers.d files and the
# shutdown hook (packaging/systemd/), udev rules (packaging/udev/), man pages (docs/man/).
#
#     scripts/build-deb.sh [--no-build] [--version VERSION] [--out DIR]
#
#   --no-build         use the release binaries already in target/release (no cargo run)
#   --version VERSION  package version instead of the newest in packaging/debian/changelog
#                      (a changelog entry is added to the packaged changelog for it); the
#                      tests build a higher version this way to check upgrades
#   --out DIR          where the .deb goes (default target/debian)
#
# Needs: cargo, dpkg-dev (dpkg-gencontrol, dpkg-shlibdeps, dpkg-parsechangelog), binutils
# (strip), gzip. No root and no fakeroot: dpkg-deb --root-owner-group makes every file
# root:root, modes are set here. Prints the path of the .deb as its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

build=1
version=""
out="$top/target/debian"
while [ "$#" -gt 0 ]; do
    case "$1" in
    --no-build) build=0 ;;
    --version)
        version="${2:?--version needs a value}"
        shift
        ;;
    --out)
        out="${2:?--out needs a directory}"
        shift
        ;;
    -h | --help)
        sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'
        exit 0
        ;;
    *)
        echo "build-deb.sh: unknown argument $1 (try --help)" >&2
        exit 2
        ;;
    esac
    shift
done

for tool in dpkg-deb dpkg-gencontrol dpkg-shlibdeps dpkg-parsechangelog strip gzip; do
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
)

if [ "$build" -eq 1 ]; then
    echo "== cargo build --release (every program of the workspace)" >&2
    cargo build --release --locked --workspace --bins >&2
fi
rel="$top/target/release"

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

# systemd: units, tmpfiles.d, sysusers.d, the shutdown hook, and any helper program a unit
# runs (found from the units' Exec lines).
units=()
enable_units=()
tmpfiles=()
shopt -s nullglob
for f in packaging/systemd/*.service packaging/systemd/*.target packaging/systemd/*.path \
    packaging/systemd/*.socket packaging/systemd/*.timer; do
    name=$(basename "$f")
    install_file 0644 "$f" "lib/systemd/system/$name"
    units+=("$name")
    # Units with an [Install] section are enabled on install (template units are not).
    if grep -q '^\[Install\]' "$f" && [[ "$name" != *@.* ]]; then
        enable_units+=("$name")
    fi
done
for f in packaging/systemd/*tmpfiles*; do
    name=$(basename "$f")
    name=${name%.conf}
    name=${name%.tmpfiles}
    install_file 0644 "$f" "usr/lib/tmpfiles.d/$name.conf"
    tmpfiles+=("$name.conf")
done
for f in packaging/systemd/*sysusers*; do
    name=$(basename "$f")
    name=${name%.conf}
    name=${name%.sysusers}
    install_file 0644 "$f" "usr/lib/sysusers.d/$name.conf"
done
if [ -f packaging/systemd/nutshutdown ]; then
    install_file 0755 packaging/systemd/nutshutdown lib/systemd/system-shutdown/nutshutdown
fi
# Every absolute program path a unit runs must be in the package: ours from above, else a
# helper of that name from packaging/systemd/ or the release build.
for u in "${units[@]}"; do
    grep -E '^Exec[A-Za-z]*=' "$stage/lib/systemd/system/$u" |
        grep -oE '(^|[=[:space:]"'\''`@+!:-])/(usr/)?(s?bin|lib|libexec)/[A-Za-z0-9_./@-]+' |
        sed -E 's,^[^/]*,,' || true
done | sort -u | while read -r path; do
    rel_path=${path#/}
    [ -e "$stage/$rel_path" ] && continue
    # Merged /usr: /usr/sbin/upsd is /sbin/upsd.
    [ -e "$stage/${rel_path#usr/}" ] && continue
    base=$(basename "$path")
    if [ -f "packaging/systemd/$base" ]; then
        install_file 0755 "packaging/systemd/$base" "$rel_path"
    elif [ -x "$rel/$base" ]; then
        install_prog "$rel/$base" "$rel_path"
    elif [ -e "$path" ] && dpkg -S "$path" >/dev/null 2>&1 && ! dpkg -S "$path" 2>/dev/null | grep -q '^nut-'; then
        : # a system program (/bin/sh, /bin/kill ...) from another package
    else
        echo "build-deb.sh: a unit runs $path, which neither this package nor the system provides" >&2
        exit 1
    fi
done

for f in packaging/udev/*.rules; do
    install_file 0644 "$f" "lib/udev/rules.d/$(basename "$f")"
done

# Man pages, compressed as dh_installman does.
for f in docs/man/*.[1-8]; do
    section=${f##*.}
    install_file 0644 "$f" "usr/share/man/man$section/$(basename "$f")"
    gzip -9n "$stage/usr/share/man/man$section/$(basename "$f")"
done

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
echo 'misc:Depends=' >>"$substvars"

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
