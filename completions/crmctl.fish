# fish completion for crmctl (generated; do not edit)
complete -c crmctl -l help -d 'Print this help message and exit'
complete -c crmctl -l version -d 'Display program version information and exit'
complete -c crmctl -l config -d 'Config file (default $CRMCTL_CONFIG, $XDG_CONFIG_HOME/crmctl'
complete -c crmctl -l profile -d 'Profile in the config file (default $CRMCTL_PROFILE, then de'
complete -c crmctl -l db -d 'PostgreSQL URL (overrides $CRMCTL_DATABASE_URL, $DATABASE_UR'
complete -c crmctl -l output -d 'Output format: table|json|yaml|csv (default table on a TTY, '
complete -c crmctl -l tenant -d 'Target tenant: UUID or slug'
complete -c crmctl -l dry-run -d 'Print the plan, change nothing'
complete -c crmctl -l yes -d 'Confirm destructive actions without a prompt'
complete -c crmctl -l verbose -d 'More log output on stderr (repeat for debug)'
complete -c crmctl -l quiet -d 'Only errors on stderr'
complete -c crmctl -l log-format -d 'Log format on stderr: text|json'
complete -c crmctl -l no-color -d 'No colour (also honoured: NO_COLOR)'
complete -c crmctl -l read-only -d 'Refuse every command that changes the platform (also: profil'
complete -c crmctl -f -n '__fish_use_subcommand' -a version -d 'Print version, build and git commit (no database access)'
complete -c crmctl -n '__fish_seen_subcommand_from version' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a config -d 'Show and check configuration'
complete -c crmctl -f -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from view validate profiles' -a view -d 'Show the effective settings with secrets masked'
complete -c crmctl -n '__fish_seen_subcommand_from view' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from view validate profiles' -a validate -d 'Check the config file for literal secrets, permissions and broken references'
complete -c crmctl -n '__fish_seen_subcommand_from validate' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from config; and not __fish_seen_subcommand_from view validate profiles' -a profiles -d 'List the profiles of the config file'
complete -c crmctl -n '__fish_seen_subcommand_from profiles' -l help
complete -c crmctl -n '__fish_seen_subcommand_from config' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a context -d 'Act as one tenant by default (like kubectl's current context)'
complete -c crmctl -f -n '__fish_seen_subcommand_from context; and not __fish_seen_subcommand_from use show clear' -a use -d 'Make a tenant the current context of this profile'
complete -c crmctl -n '__fish_seen_subcommand_from use' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from context; and not __fish_seen_subcommand_from use show clear' -a show -d 'Show the current context of this profile'
complete -c crmctl -n '__fish_seen_subcommand_from show' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from context; and not __fish_seen_subcommand_from use show clear' -a clear -d 'Forget the current context of this profile'
complete -c crmctl -n '__fish_seen_subcommand_from clear' -l help
complete -c crmctl -n '__fish_seen_subcommand_from context' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a doctor -d 'Check configuration, database, roles, schema version, RLS and the master key'
complete -c crmctl -n '__fish_seen_subcommand_from doctor' -l help
complete -c crmctl -n '__fish_seen_subcommand_from doctor' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from doctor' -l providers
complete -c crmctl -f -n '__fish_use_subcommand' -a completion -d 'Print a shell completion script (bash, zsh, fish)'
complete -c crmctl -n '__fish_seen_subcommand_from completion' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a migrate -d 'Versioned schema migrations over the shared schema and every tenant schema'
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a status -d 'Show the global version and a histogram of tenant schemas per version'
complete -c crmctl -n '__fish_seen_subcommand_from status' -l help
complete -c crmctl -n '__fish_seen_subcommand_from status' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from status' -l lock-timeout
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a plan -d 'List pending files, their transaction mode, and lint findings'
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l help
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l lock-timeout
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a up -d 'Apply pending migrations: global track, then every tenant schema in parallel'
complete -c crmctl -n '__fish_seen_subcommand_from up' -l help
complete -c crmctl -n '__fish_seen_subcommand_from up' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from up' -l lock-timeout
complete -c crmctl -n '__fish_seen_subcommand_from up' -l to
complete -c crmctl -n '__fish_seen_subcommand_from up' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from up' -l canary
complete -c crmctl -n '__fish_seen_subcommand_from up' -l tenants
complete -c crmctl -n '__fish_seen_subcommand_from up' -l on-error
complete -c crmctl -n '__fish_seen_subcommand_from up' -l allow-out-of-order
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a down -d 'Revert the newest migration (or down to --to) where the file declares a down part'
complete -c crmctl -n '__fish_seen_subcommand_from down' -l help
complete -c crmctl -n '__fish_seen_subcommand_from down' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from down' -l lock-timeout
complete -c crmctl -n '__fish_seen_subcommand_from down' -l to
complete -c crmctl -n '__fish_seen_subcommand_from down' -l track
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a verify -d 'Compare applied checksums with the files; exit 5 on drift'
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l help
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l lock-timeout
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a repair -d 'Accept the current files: re-stamp checksums and clear failed attempts (audited)'
complete -c crmctl -n '__fish_seen_subcommand_from repair' -l help
complete -c crmctl -n '__fish_seen_subcommand_from repair' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from repair' -l lock-timeout
complete -c crmctl -f -n '__fish_seen_subcommand_from migrate; and not __fish_seen_subcommand_from status plan up down verify repair new' -a new -d 'Create an empty timestamped migration file'
complete -c crmctl -n '__fish_seen_subcommand_from new' -l help
complete -c crmctl -n '__fish_seen_subcommand_from new' -l migrations-dir
complete -c crmctl -n '__fish_seen_subcommand_from new' -l lock-timeout
complete -c crmctl -n '__fish_seen_subcommand_from new' -l track
complete -c crmctl -n '__fish_seen_subcommand_from migrate' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a tenant -d 'Provision and operate tenants (organizations)'
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a create -d 'Provision a tenant completely, in one transaction'
complete -c crmctl -n '__fish_seen_subcommand_from create' -l help
complete -c crmctl -n '__fish_seen_subcommand_from create' -l slug
complete -c crmctl -n '__fish_seen_subcommand_from create' -l isolation
complete -c crmctl -n '__fish_seen_subcommand_from create' -l timezone
complete -c crmctl -n '__fish_seen_subcommand_from create' -l currency
complete -c crmctl -n '__fish_seen_subcommand_from create' -l admin-email
complete -c crmctl -n '__fish_seen_subcommand_from create' -l admin-name
complete -c crmctl -n '__fish_seen_subcommand_from create' -l admin-password-stdin
complete -c crmctl -n '__fish_seen_subcommand_from create' -l cogs-per-minute
complete -c crmctl -n '__fish_seen_subcommand_from create' -l rate-per-minute
complete -c crmctl -n '__fish_seen_subcommand_from create' -l markup
complete -c crmctl -n '__fish_seen_subcommand_from create' -l free-minutes
complete -c crmctl -n '__fish_seen_subcommand_from create' -l rounding
complete -c crmctl -n '__fish_seen_subcommand_from create' -l settings
complete -c crmctl -n '__fish_seen_subcommand_from create' -l if-not-exists
complete -c crmctl -n '__fish_seen_subcommand_from create' -l migrations-dir
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a list -d 'List tenants'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -n '__fish_seen_subcommand_from list' -l status
complete -c crmctl -n '__fish_seen_subcommand_from list' -l isolation
complete -c crmctl -n '__fish_seen_subcommand_from list' -l search
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a show -d 'Show a tenant with counts of numbers, agents, calls and users'
complete -c crmctl -n '__fish_seen_subcommand_from show' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a update -d 'Change a tenant's name, slug, timezone, currency, billing terms or settings'
complete -c crmctl -n '__fish_seen_subcommand_from update' -l help
complete -c crmctl -n '__fish_seen_subcommand_from update' -l name
complete -c crmctl -n '__fish_seen_subcommand_from update' -l slug
complete -c crmctl -n '__fish_seen_subcommand_from update' -l timezone
complete -c crmctl -n '__fish_seen_subcommand_from update' -l currency
complete -c crmctl -n '__fish_seen_subcommand_from update' -l cogs-per-minute
complete -c crmctl -n '__fish_seen_subcommand_from update' -l rate-per-minute
complete -c crmctl -n '__fish_seen_subcommand_from update' -l markup
complete -c crmctl -n '__fish_seen_subcommand_from update' -l free-minutes
complete -c crmctl -n '__fish_seen_subcommand_from update' -l rounding
complete -c crmctl -n '__fish_seen_subcommand_from update' -l settings
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a suspend -d 'Suspend a tenant: tenant-scoped commands and the daemon refuse it'
complete -c crmctl -n '__fish_seen_subcommand_from suspend' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a resume -d 'Resume a suspended tenant'
complete -c crmctl -n '__fish_seen_subcommand_from resume' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a delete -d 'Delete a tenant: soft by default, --purge removes its data'
complete -c crmctl -n '__fish_seen_subcommand_from delete' -l help
complete -c crmctl -n '__fish_seen_subcommand_from delete' -l purge
complete -c crmctl -f -n '__fish_seen_subcommand_from tenant; and not __fish_seen_subcommand_from create list show update suspend resume delete export' -a export -d 'Export every tenant table as JSONL plus a manifest (portability, backup)'
complete -c crmctl -n '__fish_seen_subcommand_from export' -l help
complete -c crmctl -n '__fish_seen_subcommand_from export' -l out
complete -c crmctl -n '__fish_seen_subcommand_from tenant' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a user -d 'Users and their roles in a tenant'
complete -c crmctl -f -n '__fish_seen_subcommand_from user; and not __fish_seen_subcommand_from create list disable import' -a create -d 'Create a user (or reuse one by email) and add it to a tenant'
complete -c crmctl -n '__fish_seen_subcommand_from create' -l help
complete -c crmctl -n '__fish_seen_subcommand_from create' -l role
complete -c crmctl -n '__fish_seen_subcommand_from create' -l name
complete -c crmctl -n '__fish_seen_subcommand_from create' -l password-stdin
complete -c crmctl -f -n '__fish_seen_subcommand_from user; and not __fish_seen_subcommand_from create list disable import' -a list -d 'List a tenant's users'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from user; and not __fish_seen_subcommand_from create list disable import' -a disable -d 'Disable a user's membership in a tenant'
complete -c crmctl -n '__fish_seen_subcommand_from disable' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from user; and not __fish_seen_subcommand_from create list disable import' -a import -d 'Import users from CSV (email,name,role) into a tenant, all or nothing'
complete -c crmctl -n '__fish_seen_subcommand_from import' -l help
complete -c crmctl -n '__fish_seen_subcommand_from import' -l update-roles
complete -c crmctl -n '__fish_seen_subcommand_from user' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a apikey -d 'Tenant API keys with scopes and expiry'
complete -c crmctl -f -n '__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from create list revoke' -a create -d 'Create an API key (the secret is printed once)'
complete -c crmctl -n '__fish_seen_subcommand_from create' -l help
complete -c crmctl -n '__fish_seen_subcommand_from create' -l name
complete -c crmctl -n '__fish_seen_subcommand_from create' -l scopes
complete -c crmctl -n '__fish_seen_subcommand_from create' -l expires
complete -c crmctl -f -n '__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from create list revoke' -a list -d 'List a tenant's API keys (prefixes only)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from apikey; and not __fish_seen_subcommand_from create list revoke' -a revoke -d 'Revoke an API key by prefix or id'
complete -c crmctl -n '__fish_seen_subcommand_from revoke' -l help
complete -c crmctl -n '__fish_seen_subcommand_from apikey' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a creds -d 'The credentials vault: per-tenant provider credentials, encrypted at rest'
complete -c crmctl -f -n '__fish_seen_subcommand_from creds; and not __fish_seen_subcommand_from set list verify delete rotate-key' -a set -d 'Store a tenant's provider credentials (twilio, elevenlabs, retell, google)'
complete -c crmctl -n '__fish_seen_subcommand_from set' -l help
complete -c crmctl -n '__fish_seen_subcommand_from set' -l from-stdin
complete -c crmctl -n '__fish_seen_subcommand_from set' -l from-env
complete -c crmctl -f -n '__fish_seen_subcommand_from creds; and not __fish_seen_subcommand_from set list verify delete rotate-key' -a list -d 'List a tenant's stored credentials (masked; never decrypted)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from creds; and not __fish_seen_subcommand_from set list verify delete rotate-key' -a verify -d 'Check stored credentials with the provider and record the result'
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from creds; and not __fish_seen_subcommand_from set list verify delete rotate-key' -a delete -d 'Delete a tenant's credentials for one provider'
complete -c crmctl -n '__fish_seen_subcommand_from delete' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from creds; and not __fish_seen_subcommand_from set list verify delete rotate-key' -a rotate-key -d 'Re-encrypt every tenant's credentials under a new master key, in one transaction'
complete -c crmctl -n '__fish_seen_subcommand_from rotate-key' -l help
complete -c crmctl -n '__fish_seen_subcommand_from rotate-key' -l new-key-file
complete -c crmctl -n '__fish_seen_subcommand_from creds' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a audit -d 'Audit row-level security and tenant data: find every way one tenant can see another'
complete -c crmctl -f -n '__fish_seen_subcommand_from audit; and not __fish_seen_subcommand_from rls data' -a rls -d 'Audit row-level security: tables, policies, bypass paths, and a live cross-tenant probe'
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l help
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l schema
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l tenant-column
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l app-role
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l guc
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l bypass-role
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l global-table
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l fail-on
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l format
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l baseline
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l probe
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l probe-writes
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l allow-production
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l data
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l statement-timeout
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l lock-timeout
complete -c crmctl -n '__fish_seen_subcommand_from rls' -l fix-sql
complete -c crmctl -f -n '__fish_seen_subcommand_from audit; and not __fish_seen_subcommand_from rls data' -a data -d 'Find rows that crossed a tenant boundary: orphans, shared numbers, cross-tenant refs'
complete -c crmctl -n '__fish_seen_subcommand_from data' -l help
complete -c crmctl -n '__fish_seen_subcommand_from data' -l schema
complete -c crmctl -n '__fish_seen_subcommand_from data' -l tenant-column
complete -c crmctl -n '__fish_seen_subcommand_from data' -l app-role
complete -c crmctl -n '__fish_seen_subcommand_from data' -l guc
complete -c crmctl -n '__fish_seen_subcommand_from data' -l bypass-role
complete -c crmctl -n '__fish_seen_subcommand_from data' -l global-table
complete -c crmctl -n '__fish_seen_subcommand_from data' -l fail-on
complete -c crmctl -n '__fish_seen_subcommand_from data' -l format
complete -c crmctl -n '__fish_seen_subcommand_from data' -l baseline
complete -c crmctl -n '__fish_seen_subcommand_from data' -l phone-column
complete -c crmctl -n '__fish_seen_subcommand_from audit' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a number -d 'Phone numbers: search and buy on Twilio, activate on ElevenLabs, route, release, reconcile'
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a search -d 'Search Twilio for local numbers to buy'
complete -c crmctl -n '__fish_seen_subcommand_from search' -l help
complete -c crmctl -n '__fish_seen_subcommand_from search' -l country
complete -c crmctl -n '__fish_seen_subcommand_from search' -l area-code
complete -c crmctl -n '__fish_seen_subcommand_from search' -l contains
complete -c crmctl -n '__fish_seen_subcommand_from search' -l limit
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a buy -d 'Buy a Twilio number for a tenant (a saga: never bought twice)'
complete -c crmctl -n '__fish_seen_subcommand_from buy' -l help
complete -c crmctl -n '__fish_seen_subcommand_from buy' -l number
complete -c crmctl -n '__fish_seen_subcommand_from buy' -l area-code
complete -c crmctl -n '__fish_seen_subcommand_from buy' -l country
complete -c crmctl -n '__fish_seen_subcommand_from buy' -l idempotency-key
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a activate -d 'Import numbers into ElevenLabs, assign the agent, mark them active'
complete -c crmctl -n '__fish_seen_subcommand_from activate' -l help
complete -c crmctl -n '__fish_seen_subcommand_from activate' -l agent
complete -c crmctl -n '__fish_seen_subcommand_from activate' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from activate' -l jobs
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a list -d 'List phone numbers (one tenant, or every tenant)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -n '__fish_seen_subcommand_from list' -l all
complete -c crmctl -n '__fish_seen_subcommand_from list' -l status
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a release -d 'Release a tenant's number: ElevenLabs delete, Twilio release, record'
complete -c crmctl -n '__fish_seen_subcommand_from release' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a route -d 'Turn the AI on or off for a number (RinglyPro's toggle, done on Twilio)'
complete -c crmctl -n '__fish_seen_subcommand_from route' -l help
complete -c crmctl -n '__fish_seen_subcommand_from route' -l ai
complete -c crmctl -n '__fish_seen_subcommand_from route' -l forward-to
complete -c crmctl -f -n '__fish_seen_subcommand_from number; and not __fish_seen_subcommand_from search buy activate list release route reconcile' -a reconcile -d 'Compare recorded numbers with Twilio and ElevenLabs; --fix repairs what is safe'
complete -c crmctl -n '__fish_seen_subcommand_from reconcile' -l help
complete -c crmctl -n '__fish_seen_subcommand_from reconcile' -l fix
complete -c crmctl -n '__fish_seen_subcommand_from reconcile' -l min-age
complete -c crmctl -n '__fish_seen_subcommand_from number' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a agent -d 'Voice agents (Vapi, ElevenLabs, Retell) registered for webhook routing'
complete -c crmctl -f -n '__fish_seen_subcommand_from agent; and not __fish_seen_subcommand_from create list show disable enable' -a create -d 'Register a voice agent and print its webhook URL and secret (once)'
complete -c crmctl -n '__fish_seen_subcommand_from create' -l help
complete -c crmctl -n '__fish_seen_subcommand_from create' -l provider
complete -c crmctl -n '__fish_seen_subcommand_from create' -l external-id
complete -c crmctl -n '__fish_seen_subcommand_from create' -l name
complete -c crmctl -f -n '__fish_seen_subcommand_from agent; and not __fish_seen_subcommand_from create list show disable enable' -a list -d 'List a tenant's voice agents (never their secrets)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -n '__fish_seen_subcommand_from list' -l provider
complete -c crmctl -n '__fish_seen_subcommand_from list' -l status
complete -c crmctl -f -n '__fish_seen_subcommand_from agent; and not __fish_seen_subcommand_from create list show disable enable' -a show -d 'Show one voice agent and its webhook URL'
complete -c crmctl -n '__fish_seen_subcommand_from show' -l help
complete -c crmctl -n '__fish_seen_subcommand_from show' -l provider
complete -c crmctl -f -n '__fish_seen_subcommand_from agent; and not __fish_seen_subcommand_from create list show disable enable' -a disable -d 'Disable a voice agent (its route is kept)'
complete -c crmctl -n '__fish_seen_subcommand_from disable' -l help
complete -c crmctl -n '__fish_seen_subcommand_from disable' -l provider
complete -c crmctl -f -n '__fish_seen_subcommand_from agent; and not __fish_seen_subcommand_from create list show disable enable' -a enable -d 'Enable a disabled voice agent again'
complete -c crmctl -n '__fish_seen_subcommand_from enable' -l help
complete -c crmctl -n '__fish_seen_subcommand_from enable' -l provider
complete -c crmctl -n '__fish_seen_subcommand_from agent' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a forwarding -d 'Call forwarding from a SIM number to the AI number (GSM/CDMA codes)'
complete -c crmctl -f -n '__fish_seen_subcommand_from forwarding; and not __fish_seen_subcommand_from codes' -a codes -d 'Print the codes that forward a SIM number to the AI number'
complete -c crmctl -n '__fish_seen_subcommand_from codes' -l help
complete -c crmctl -n '__fish_seen_subcommand_from codes' -l carrier
complete -c crmctl -n '__fish_seen_subcommand_from codes' -l mode
complete -c crmctl -n '__fish_seen_subcommand_from codes' -l to
complete -c crmctl -n '__fish_seen_subcommand_from codes' -l ring
complete -c crmctl -n '__fish_seen_subcommand_from forwarding' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a calls -d 'A tenant's call history: import legacy calls, list them'
complete -c crmctl -f -n '__fish_seen_subcommand_from calls; and not __fish_seen_subcommand_from import list' -a import -d 'Import call history (JSONL or CSV) into a tenant, all rows or none'
complete -c crmctl -n '__fish_seen_subcommand_from import' -l help
complete -c crmctl -n '__fish_seen_subcommand_from import' -l format
complete -c crmctl -f -n '__fish_seen_subcommand_from calls; and not __fish_seen_subcommand_from import list' -a list -d 'List a tenant's calls, newest first (no transcripts)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -n '__fish_seen_subcommand_from list' -l since
complete -c crmctl -n '__fish_seen_subcommand_from list' -l until
complete -c crmctl -n '__fish_seen_subcommand_from list' -l limit
complete -c crmctl -n '__fish_seen_subcommand_from calls' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a billing -d 'Billing: period rollups, tenant statements, the revenue report, credit balances'
complete -c crmctl -f -n '__fish_seen_subcommand_from billing; and not __fish_seen_subcommand_from rollup statement report credit' -a rollup -d 'Rate a period's calls into a draft statement; --close makes it final'
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l help
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l period
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l close
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l full
complete -c crmctl -n '__fish_seen_subcommand_from rollup' -l jobs
complete -c crmctl -f -n '__fish_seen_subcommand_from billing; and not __fish_seen_subcommand_from rollup statement report credit' -a statement -d 'A tenant's statement for a rolled-up period: JSON, CSV or a one-page PDF'
complete -c crmctl -n '__fish_seen_subcommand_from statement' -l help
complete -c crmctl -n '__fish_seen_subcommand_from statement' -l period
complete -c crmctl -n '__fish_seen_subcommand_from statement' -l format
complete -c crmctl -n '__fish_seen_subcommand_from statement' -l out
complete -c crmctl -f -n '__fish_seen_subcommand_from billing; and not __fish_seen_subcommand_from rollup statement report credit' -a report -d 'Cross-tenant revenue report: minutes, charge, COGS, margin, excluded usage, peak hours'
complete -c crmctl -n '__fish_seen_subcommand_from report' -l help
complete -c crmctl -n '__fish_seen_subcommand_from report' -l period
complete -c crmctl -n '__fish_seen_subcommand_from report' -l timezone
complete -c crmctl -n '__fish_seen_subcommand_from report' -l no-chart
complete -c crmctl -f -n '__fish_seen_subcommand_from billing; and not __fish_seen_subcommand_from rollup statement report credit' -a credit -d 'Credit accounts: top-ups and the balance history'
complete -c crmctl -n '__fish_seen_subcommand_from credit' -l help
complete -c crmctl -n '__fish_seen_subcommand_from billing' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a webhooks -d 'The webhook inbox: every verified provider event, stored before it is acknowledged'
complete -c crmctl -f -n '__fish_seen_subcommand_from webhooks; and not __fish_seen_subcommand_from list replay' -a list -d 'List inbox rows, newest first (never the bodies)'
complete -c crmctl -n '__fish_seen_subcommand_from list' -l help
complete -c crmctl -n '__fish_seen_subcommand_from list' -l status
complete -c crmctl -n '__fish_seen_subcommand_from list' -l limit
complete -c crmctl -f -n '__fish_seen_subcommand_from webhooks; and not __fish_seen_subcommand_from list replay' -a replay -d 'Apply unrouted, held or failed inbox rows again'
complete -c crmctl -n '__fish_seen_subcommand_from replay' -l help
complete -c crmctl -n '__fish_seen_subcommand_from replay' -l id
complete -c crmctl -n '__fish_seen_subcommand_from replay' -l since
complete -c crmctl -n '__fish_seen_subcommand_from webhooks' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a serve -d 'Run the webhook daemon: verified, idempotent, durable ingestion of provider events'
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l help
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l listen
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l threads
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l backlog
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l max-body
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l read-timeout
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l request-timeout
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l batch-max
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l batch-wait
complete -c crmctl -n '__fish_seen_subcommand_from serve' -l committers
complete -c crmctl -f -n '__fish_use_subcommand' -a tools -d 'Vapi tools as code: register once with the platform key, link into every tenant assistant'
complete -c crmctl -f -n '__fish_seen_subcommand_from tools; and not __fish_seen_subcommand_from plan sync verify prune' -a plan -d 'Show what `tools sync` (and `tools prune`) would change; writes nothing'
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l help
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l definitions
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l cached
complete -c crmctl -n '__fish_seen_subcommand_from plan' -l exit-code
complete -c crmctl -f -n '__fish_seen_subcommand_from tools; and not __fish_seen_subcommand_from plan sync verify prune' -a sync -d 'Register or update the tools once at Vapi and link them into every tenant assistant'
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l help
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l definitions
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l cached
complete -c crmctl -n '__fish_seen_subcommand_from sync' -l lock-timeout
complete -c crmctl -f -n '__fish_seen_subcommand_from tools; and not __fish_seen_subcommand_from plan sync verify prune' -a verify -d 'Compare what crmctl recorded with Vapi and report drift (exit 5)'
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l help
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l definitions
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l cached
complete -c crmctl -f -n '__fish_seen_subcommand_from tools; and not __fish_seen_subcommand_from plan sync verify prune' -a prune -d 'Remove tools no longer defined (and, with --native, native interceptor tools)'
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l help
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l all-tenants
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l definitions
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l jobs
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l cached
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l native
complete -c crmctl -n '__fish_seen_subcommand_from prune' -l lock-timeout
complete -c crmctl -n '__fish_seen_subcommand_from tools' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a transcripts -d 'Call transcripts: export as txt, JSONL or CSV with PHI redaction'
complete -c crmctl -f -n '__fish_seen_subcommand_from transcripts; and not __fish_seen_subcommand_from export' -a export -d 'Export a tenant's call transcripts as txt, JSONL or CSV, PHI redacted'
complete -c crmctl -n '__fish_seen_subcommand_from export' -l help
complete -c crmctl -n '__fish_seen_subcommand_from export' -l call
complete -c crmctl -n '__fish_seen_subcommand_from export' -l since
complete -c crmctl -n '__fish_seen_subcommand_from export' -l until
complete -c crmctl -n '__fish_seen_subcommand_from export' -l format
complete -c crmctl -n '__fish_seen_subcommand_from export' -l out
complete -c crmctl -n '__fish_seen_subcommand_from export' -l redact
complete -c crmctl -n '__fish_seen_subcommand_from export' -l no-redact
complete -c crmctl -n '__fish_seen_subcommand_from export' -l reason
complete -c crmctl -n '__fish_seen_subcommand_from export' -l calls-per-file
complete -c crmctl -n '__fish_seen_subcommand_from transcripts' -l help
complete -c crmctl -f -n '__fish_use_subcommand' -a recordings -d 'Call recordings: expiring signed share links'
complete -c crmctl -f -n '__fish_seen_subcommand_from recordings; and not __fish_seen_subcommand_from share verify' -a share -d 'Create an expiring signed link to a call's recording'
complete -c crmctl -n '__fish_seen_subcommand_from share' -l help
complete -c crmctl -n '__fish_seen_subcommand_from share' -l ttl
complete -c crmctl -n '__fish_seen_subcommand_from share' -l email
complete -c crmctl -f -n '__fish_seen_subcommand_from recordings; and not __fish_seen_subcommand_from share verify' -a verify -d 'Check a recording share link: valid, expired or tampered'
complete -c crmctl -n '__fish_seen_subcommand_from verify' -l help
complete -c crmctl -n '__fish_seen_subcommand_from recordings' -l help
complete -c crmctl -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
