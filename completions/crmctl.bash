# bash completion for crmctl (generated; do not edit)
_crmctl() {
  local cur path w i words
  cur="${COMP_WORDS[COMP_CWORD]}"
  path=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="${COMP_WORDS[i]}"
    case "${path:+$path }$w" in
      "version") path="version" ;;
      "config") path="config" ;;
      "config view") path="config view" ;;
      "config validate") path="config validate" ;;
      "config profiles") path="config profiles" ;;
      "doctor") path="doctor" ;;
      "completion") path="completion" ;;
      "migrate") path="migrate" ;;
      "migrate status") path="migrate status" ;;
      "migrate plan") path="migrate plan" ;;
      "migrate up") path="migrate up" ;;
      "migrate down") path="migrate down" ;;
      "migrate verify") path="migrate verify" ;;
      "migrate repair") path="migrate repair" ;;
      "migrate new") path="migrate new" ;;
    esac
  done
  case "$path" in
    "") words="version config doctor completion migrate --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "version") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "config") words="view validate profiles --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "config view") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "config validate") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "config profiles") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "doctor") words="--help --migrations-dir --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "completion") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate") words="status plan up down verify repair new --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate status") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate plan") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate up") words="--help --migrations-dir --lock-timeout --to --jobs --canary --tenants --on-error --allow-out-of-order --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate down") words="--help --migrations-dir --lock-timeout --to --track --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate verify") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate repair") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
    "migrate new") words="--help --migrations-dir --lock-timeout --track --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color" ;;
  esac
  case "$path" in
    completion) words="bash zsh fish" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _crmctl crmctl
