#!/usr/bin/env bash
# Builds a stand-in for the UBI 9 OpenJDK 25 runtime image, offline, for the image tests only: Debian
# minbase from the mirror apt already uses, plus this machine's JDK 25, laid out as the UBI runtime image
# documents itself (docs/container-images.md, "What the image relies on in its base"):
#   JAVA_HOME=/usr/lib/jvm/java-25-openjdk, java on PATH, user 185 ("default", primary group 0, home
#   /home/default), /deployments owned by root with /deployments/data owned by 185:0, USER 185,
#   WORKDIR /home/default, and a CMD of its own that an image's ENTRYPOINT must not inherit.
# It is never published: it exists so that Dockerfile.jvm is built and run here with only its FROM
# replaced (--build-arg BASE_IMAGE=...).
#
#   bash src/test/container/stand-in-base.sh        prints the image name it built or found
#
# The name's tag is a digest of this script and of the JDK's release file: the image is rebuilt only when
# one of them changes. Environment: STAND_IN_JDK (default /usr/lib/jvm/temurin-25-jdk-amd64),
# DEBIAN_MIRROR (default: the first Debian mirror in apt's sources), CONTAINERS_CONF.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$here/containers.conf}
jdk=${STAND_IN_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}
[[ -x $jdk/bin/java && -f $jdk/release ]] || { echo "stand-in-base: no JDK at $jdk (set STAND_IN_JDK)" >&2; exit 1; }
grep -q '^JAVA_VERSION="25' "$jdk/release" || { echo "stand-in-base: $jdk is not a JDK 25" >&2; exit 1; }

tag=$(cat "${BASH_SOURCE[0]}" "$jdk/release" | sha256sum | cut -c1-16)
image=localhost/spiffe-oidc-stand-in-base:$tag
if podman image exists "$image"; then
  echo "$image"
  exit 0
fi

mirror=${DEBIAN_MIRROR:-$(sed -n -E 's#^(URIs:|deb)[[:space:]]+(http[^[:space:]]*/debian)/?([[:space:]].*)?$#\2#p' \
  /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | head -1 || true)}
[[ -n $mirror ]] || { echo "stand-in-base: no Debian mirror found in apt's sources (set DEBIAN_MIRROR)" >&2; exit 1; }

root=$(mktemp -d /tmp/stand-in-base.XXXXXX)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$root.debootstrap.log" 2>&1 || {
  tail -20 "$root.debootstrap.log" >&2
  echo "stand-in-base: debootstrap from $mirror failed" >&2
  exit 1
}
rm -f "$root.debootstrap.log"

# The JDK where the UBI image's java-25-openjdk-headless package puts it, and java on PATH as its
# alternatives link does.
mkdir -p "$root/usr/lib/jvm"
cp -a "$jdk" "$root/usr/lib/jvm/java-25-openjdk"
ln -sf /usr/lib/jvm/java-25-openjdk/bin/java "$root/usr/bin/java"
# The UBI images' user module: group 185 and user 185 "default" whose primary group is root.
chroot "$root" groupadd -r default -g 185
chroot "$root" useradd -u 185 -r -g root -G default -m -d /home/default -s /usr/sbin/nologin -c "Default user" default
chmod 0770 "$root/home/default"
# The run module: /deployments stays root's, only its data directory is the user's.
mkdir -p "$root/deployments/data"
chmod -R ug+rwX "$root/deployments/data"
chown -R 185:0 "$root/deployments/data"
rm -rf "$root/var/cache/apt/archives/"*.deb "$root/var/lib/apt/lists/"*

tar -C "$root" -c . | podman import --quiet \
  --change 'ENV JAVA_HOME=/usr/lib/jvm/java-25-openjdk' \
  --change 'ENV JAVA_VERSION=25' \
  --change 'ENV HOME=/home/default' \
  --change 'ENV LANG=C.utf8' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'USER 185' \
  --change 'WORKDIR /home/default' \
  --change 'CMD ["/opt/jboss/container/java/run/run-java.sh"]' \
  --change 'LABEL io.spiffe-oidc.stand-in="a test base, never published"' \
  - "$image" >/dev/null
echo "$image"
