# Sourced by tools/dev/start.sh: `load_dotenv FILE` exports the NAME=value lines of FILE (a copy of .env.example) to
# everything started after it. Values are taken literally, no shell expansion (one pair of surrounding quotes is
# dropped, as docker compose does); comments and other lines are skipped; a variable already in the environment wins,
# so `HTTP_PORT=3100 npm start` still overrides .env.
load_dotenv() {
  local line name value pattern='^[[:space:]]*(export[[:space:]]+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$'
  local dq='^"(.*)"$' sq="^'(.*)'\$"
  while IFS= read -r line || [ -n "$line" ]; do
    [[ $line =~ $pattern ]] || continue
    name="${BASH_REMATCH[2]}"
    value="${BASH_REMATCH[3]%$'\r'}"
    if [[ $value =~ $dq || $value =~ $sq ]]; then value="${BASH_REMATCH[1]}"; fi
    if [ -z "${!name+set}" ]; then export "$name=$value"; fi
  done <"$1"
}
