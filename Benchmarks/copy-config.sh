# Sourced by the benchmark scripts: copy_config SRC DST copies the bench config
# SRC (from to_clientele.py) to DST, pointed at SRC's store.
copy_config() {
  store=$(cd "$1" && pwd)/.store
  rm -rf "$2"
  mkdir -p "$2"
  cp "$1"/*.yaml "$2"/
  sed -i "s|^store: .*|store: $store|" "$2/clientele.yaml"
}
