# Sourced by ./fuseki-cdc and .ci/run: sets JAVA_HOME to a JDK of version 21 or newer.
# Order: JAVA_HOME if it qualifies, then the JDKs installed beside the default `java`
# (/usr/lib/jvm and its siblings), then Debian's openjdk-21-jdk-headless when
# FUSEKI_CDC_INSTALL_JDK=1 and the release has it.

jdk_major() {  # $1 = a JDK home; prints its major version, or nothing
  local rel="$1/release" v
  [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 0
  if [ -f "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  else
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1)
  fi
  echo "$v"
}

jdk_qualifies() { local v; v=$(jdk_major "$1"); [ -n "$v" ] && [ "$v" -ge 21 ]; }

find_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_qualifies "$JAVA_HOME"; then return 0; fi
  local dirs="/usr/lib/jvm" best="" bestv=0 d v
  if command -v java >/dev/null 2>&1; then
    # The directory that holds the default java's JDK, e.g. /usr/lib/jvm.
    d=$(dirname "$(dirname "$(dirname "$(readlink -f "$(command -v java)")")")")
    dirs="$d $dirs"
  fi
  for parent in $dirs; do
    for d in "$parent"/*; do
      [ -d "$d" ] || continue
      v=$(jdk_major "$d")
      if [ -n "$v" ] && [ "$v" -ge 21 ] && [ "$v" -gt "$bestv" ]; then best=$d; bestv=$v; fi
    done
  done
  if [ -z "$best" ] && [ "${FUSEKI_CDC_INSTALL_JDK:-0}" = 1 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq >/dev/null 2>&1 || true
    if apt-cache show openjdk-21-jdk-headless >/dev/null 2>&1; then
      echo "fuseki-cdc: installing openjdk-21-jdk-headless" >&2
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-21-jdk-headless >/dev/null
      [ -d /usr/lib/jvm/java-21-openjdk-amd64 ] && best=/usr/lib/jvm/java-21-openjdk-amd64
      for d in /usr/lib/jvm/java-21-openjdk-*; do jdk_qualifies "$d" && best=$d; done
    fi
  fi
  if [ -z "$best" ]; then
    echo "fuseki-cdc: no JDK of version 21 or newer found." >&2
    echo "  Looked at JAVA_HOME (${JAVA_HOME:-unset}) and in: $dirs" >&2
    echo "  Fix: install a JDK 21+ (e.g. 'apt-get install openjdk-21-jdk-headless' or Temurin 21/25) and set JAVA_HOME to it." >&2
    return 1
  fi
  export JAVA_HOME="$best"
}

# Maven's own libraries warn on JDK 24+ about sun.misc.Unsafe; the warning is noise for us.
quiet_maven_on_new_jdks() {
  local v; v=$(jdk_major "$JAVA_HOME")
  if [ -n "$v" ] && [ "$v" -ge 24 ]; then
    case "${MAVEN_OPTS:-}" in *sun-misc-unsafe-memory-access*) ;; *) export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow" ;; esac
  fi
}
