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
complete -c crmctl -f -n '__fish_use_subcommand' -a doctor -d 'Check configuration, database, roles, schema version, RLS and the master key'
complete -c crmctl -n '__fish_seen_subcommand_from doctor' -l help
complete -c crmctl -n '__fish_seen_subcommand_from doctor' -l migrations-dir
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
complete -c crmctl -f -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'
