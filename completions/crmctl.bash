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
      "context") path="context" ;;
      "context use") path="context use" ;;
      "context show") path="context show" ;;
      "context clear") path="context clear" ;;
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
      "tenant") path="tenant" ;;
      "tenant create") path="tenant create" ;;
      "tenant list") path="tenant list" ;;
      "tenant show") path="tenant show" ;;
      "tenant update") path="tenant update" ;;
      "tenant suspend") path="tenant suspend" ;;
      "tenant resume") path="tenant resume" ;;
      "tenant delete") path="tenant delete" ;;
      "tenant export") path="tenant export" ;;
      "user") path="user" ;;
      "user create") path="user create" ;;
      "user list") path="user list" ;;
      "user disable") path="user disable" ;;
      "user import") path="user import" ;;
      "apikey") path="apikey" ;;
      "apikey create") path="apikey create" ;;
      "apikey list") path="apikey list" ;;
      "apikey revoke") path="apikey revoke" ;;
      "creds") path="creds" ;;
      "creds set") path="creds set" ;;
      "creds list") path="creds list" ;;
      "creds verify") path="creds verify" ;;
      "creds delete") path="creds delete" ;;
      "creds rotate-key") path="creds rotate-key" ;;
    esac
  done
  case "$path" in
    "") words="version config context doctor completion migrate tenant user apikey creds --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "version") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "config") words="view validate profiles --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "config view") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "config validate") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "config profiles") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "context") words="use show clear --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "context use") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "context show") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "context clear") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "doctor") words="--help --migrations-dir --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "completion") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate") words="status plan up down verify repair new --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate status") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate plan") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate up") words="--help --migrations-dir --lock-timeout --to --jobs --canary --tenants --on-error --allow-out-of-order --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate down") words="--help --migrations-dir --lock-timeout --to --track --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate verify") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate repair") words="--help --migrations-dir --lock-timeout --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "migrate new") words="--help --migrations-dir --lock-timeout --track --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant") words="create list show update suspend resume delete export --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant create") words="--help --slug --isolation --timezone --currency --admin-email --admin-name --admin-password-stdin --cogs-per-minute --rate-per-minute --markup --free-minutes --rounding --settings --if-not-exists --migrations-dir --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant list") words="--help --status --isolation --search --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant show") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant update") words="--help --name --slug --timezone --currency --cogs-per-minute --rate-per-minute --markup --free-minutes --rounding --settings --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant suspend") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant resume") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant delete") words="--help --purge --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "tenant export") words="--help --out --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "user") words="create list disable import --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "user create") words="--help --role --name --password-stdin --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "user list") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "user disable") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "user import") words="--help --update-roles --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "apikey") words="create list revoke --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "apikey create") words="--help --name --scopes --expires --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "apikey list") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "apikey revoke") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds") words="set list verify delete rotate-key --help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds set") words="--help --from-stdin --from-env --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds list") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds verify") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds delete") words="--help --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
    "creds rotate-key") words="--help --new-key-file --help --version --config --profile --db --output --tenant --dry-run --yes --verbose --quiet --log-format --no-color --read-only" ;;
  esac
  case "$path" in
    completion) words="bash zsh fish" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _crmctl crmctl
