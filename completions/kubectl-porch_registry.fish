# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_porch_registry_global_optspecs
    string join \n h/help V/version
end

function __fish_kubectl_porch_registry_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_porch_registry_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_porch_registry_using_subcommand
    set -l cmd (__fish_kubectl_porch_registry_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "secret" -d 'Print the Secrets the function runner needs (registry credentials, TLS CA)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "patch" -d 'Add the private-registry configuration to the function-runner Deployment in manifests'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "remove" -d 'Take the private-registry configuration out again (manifests or the live cluster)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "setup" -d 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "check" -d 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "explain" -d 'Explain, offline, what the runner does with function images: key, credential, TLS path'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "status" -d 'Show the runner\'s private-registry configuration as the cluster has it'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "fn" -d 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "node-trust" -d 'Make the nodes\' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "pull" -d 'Pull a function image with the runner\'s credentials and TLS behaviour'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "run" -d 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "render" -d 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "completions" -d 'Print shell completions'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and not __fish_seen_subcommand_from auth tls help" -s h -l help -d 'Print help'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and not __fish_seen_subcommand_from auth tls help" -f -a "auth" -d 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and not __fish_seen_subcommand_from auth tls help" -f -a "tls" -d 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and not __fish_seen_subcommand_from auth tls help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -l name -d 'Name of the Secret' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -l registry -d 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -s u -l username -d 'Registry user name' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -s p -l password -d 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -l email -d 'E-mail address stored with the credentials (optional)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -l from-docker-config -d 'Take every registry from a docker/podman config (default: the user\'s docker config); helper-only entries are resolved by running the helper' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -s o -l output -d 'Output format' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -l password-stdin -d 'Read the password (or token) from stdin'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from auth" -s h -l help -d 'Print help'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from tls" -l ca-file -d 'PEM file with the registry\'s CA certificate(s)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from tls" -l name -d 'Name of the Secret' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from tls" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from tls" -s o -l output -d 'Output format' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from tls" -s h -l help -d 'Print help'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "auth" -d 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "tls" -d 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand secret; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -s f -l filename -d 'Manifest file, kpt package directory, or - for stdin' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l auth-secret-name -d 'Name of the auth Secret (dockerconfigjson) in the runner\'s namespace' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l auth-mount-path -d 'Directory where the auth Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l tls-secret-name -d 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l tls-mount-path -d 'Directory where the TLS Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l registry-auth-secret-name -d 'Name of the runner\'s copy of the auth Secret in the function namespace (--registry-auth-secret-name)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -s n -l namespace -d 'Namespace of the function runner (used to pick the Deployment)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -s o -l output -d 'Output format of the printed manifests (yaml keeps their comments and layout)' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -s i -l in-place -d 'Write the changes back to the files instead of printing them'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -l tls -d 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand patch" -s h -l help -d 'Print help'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s f -l filename -d 'Manifest file, kpt package directory, or - for stdin (default: the live cluster)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l auth-secret-name -d 'Name of the auth Secret (dockerconfigjson) in the runner\'s namespace' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l auth-mount-path -d 'Directory where the auth Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l tls-secret-name -d 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l tls-mount-path -d 'Directory where the TLS Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l registry-auth-secret-name -d 'Name of the runner\'s copy of the auth Secret in the function namespace (--registry-auth-secret-name)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l context-pattern -d 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l parallel -d 'How many clusters are handled at once' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l cluster-timeout -d 'How long one cluster may take before it is reported as timed out (the others go on)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l fn-namespace -d 'Namespace where the runner creates function pods (and its Secret copy)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l dry-run -d 'none, client (print what would change) or server (dryRun=All)' -r -f -a "none\t'Change things for real'
client\t'Print what would be applied, send nothing'
server\t'Send the requests with dryRun=All; nothing is persisted'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s o -l output -d 'Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l field-manager -d 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l wait -d 'Wait for the rollout' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l timeout -d 'How long to wait for the rollout (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s i -l in-place -d 'With -f: write the changes back to the files'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l tls -d 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l all-contexts -d 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l delete-secrets -d 'Live: also delete the Secrets and the runner\'s copy in the function namespace'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -l force-conflicts -d 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s y -l yes -d 'Don\'t ask for confirmation'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s f -l filename -d 'Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l registry -d 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s u -l username -d 'Registry user name' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s p -l password -d 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l email -d 'E-mail address stored with the credentials (optional)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l from-docker-config -d 'Take every registry from a docker/podman config (default: the user\'s docker config); helper-only entries are resolved by running the helper' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l ca-file -d 'PEM file with the registry\'s CA certificate(s); implies --tls' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l auth-secret-name -d 'Name of the auth Secret (dockerconfigjson) in the runner\'s namespace' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l auth-mount-path -d 'Directory where the auth Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l tls-secret-name -d 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l tls-mount-path -d 'Directory where the TLS Secret is mounted (must be dedicated to it)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l registry-auth-secret-name -d 'Name of the runner\'s copy of the auth Secret in the function namespace (--registry-auth-secret-name)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l context-pattern -d 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l parallel -d 'How many clusters are handled at once' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l cluster-timeout -d 'How long one cluster may take before it is reported as timed out (the others go on)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l fn-namespace -d 'Namespace where the runner creates function pods (and its Secret copy)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l dry-run -d 'none, client (print the objects for kubectl apply -f -) or server (dryRun=All)' -r -f -a "none\t'Change things for real'
client\t'Print what would be applied, send nothing'
server\t'Send the requests with dryRun=All; nothing is persisted'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s o -l output -d 'Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l field-manager -d 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l wait -d 'Wait for the rollout' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l timeout -d 'How long to wait for the rollout (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s i -l in-place -d 'With -f: patch the files in place and print only the Secrets'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l password-stdin -d 'Read the password (or token) from stdin'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l tls -d 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l all-contexts -d 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -l force-conflicts -d 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s y -l yes -d 'Don\'t ask for confirmation'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand setup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -s f -l filename -d 'Manifest file, kpt package directory or - (stdin); default: the live cluster' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l context-pattern -d 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l parallel -d 'How many clusters are handled at once' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l cluster-timeout -d 'How long one cluster may take before it is reported as timed out (the others go on)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l fn-namespace -d 'Namespace where the runner creates function pods' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l package -d 'Also judge every function image of the Kptfile pipelines in DIR and its subpackages' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l default-image-prefix -d 'Prefix for function names without \'/\' (default: the runner\'s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l pull-test -d 'Live: pull each IMAGE (and the --package images) on every Ready node from a short-lived pod in the function namespace, as the runner\'s function pods would; the pods are deleted afterwards' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l timeout -d 'With --pull-test: how long the whole test may take (e.g. 90s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l nodes -d 'With --pull-test: test on at most N Ready nodes (by name)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l node-trust-name -d 'Live, with TLS on: the node-trust DaemonSet whose per-node state tells whether the nodes trust the CA' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l node-trust-namespace -d 'Namespace of the node-trust DaemonSet' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -s o -l output -d 'Output format' -r -f -a "table\t'A table for people'
json\t'JSON for scripts'
yaml\t'YAML'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l all-contexts -d 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -l probe -d 'Also log in to every registry in the auth Secret and report credentials and TLS step'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l package -d 'Add every function image of the Kptfile pipelines in DIR and its subpackages' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -s f -l filename -d 'Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l auth-file -d 'A bare .dockerconfigjson / config.json as the runner\'s auth file (private registries on)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l default-image-prefix -d 'Prefix for function names without \'/\' (default: the runner\'s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l context-pattern -d 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l parallel -d 'How many clusters are handled at once' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l cluster-timeout -d 'How long one cluster may take before it is reported as timed out (the others go on)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -s o -l output -d 'Output format' -r -f -a "table\t'A table for people'
json\t'JSON for scripts'
yaml\t'YAML'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l tls -d 'With --auth-file: the runner has --enable-private-registries-tls=true too'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -l all-contexts -d 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand explain" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l context-pattern -d 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l parallel -d 'How many clusters are handled at once' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l cluster-timeout -d 'How long one cluster may take before it is reported as timed out (the others go on)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l fn-namespace -d 'Namespace where the runner creates function pods' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l node-trust-name -d 'Name of the node-trust DaemonSet whose per-node state is shown' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l node-trust-namespace -d 'Namespace of the node-trust DaemonSet' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -s o -l output -d 'Output format' -r -f -a "table\t'A table for people'
json\t'JSON for scripts'
yaml\t'YAML'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -l all-contexts -d 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand fn" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand fn" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand fn" -s h -l help -d 'Print help'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l method -d 'How the nodes get the CA' -r -f -a "daemonset\t'Apply a DaemonSet (own ServiceAccount and ConfigMap) that writes the CA into each runtime\'s certs.d'
kind\t'Print a kind Cluster config: extraMounts of the CA and the containerd config_path patch'
k3s\t'Print k3s registries.yaml (configs.HOST.tls.ca_file) and where to put the CA'
openshift\t'Print the openshift-config ConfigMap and the image.config.openshift.io/cluster patch'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l registry -d 'Registry HOST[:PORT] whose CA the nodes trust (repeatable; default: the keys of the runner\'s auth Secret)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l ca-file -d 'PEM file with the registry\'s CA certificate(s) (default: ca.crt of the TLS Secret the runner mounts)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l name -d 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l namespace -d 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l image -d 'The DaemonSet\'s helper image (needs sh, cmp, cp, mv)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l runner-namespace -d 'Namespace of the function runner, whose Secrets give the default CA and registries' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l field-manager -d 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l wait -d 'Wait for the rollout' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l timeout -d 'How long to wait for the rollout (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l dry-run -d 'client: print the objects (for kubectl apply -f -), send nothing; server: send them with dryRun=All' -r -f -a "none\t'Change things for real'
client\t'Print what would be applied, send nothing'
server\t'Send the requests with dryRun=All; nothing is persisted'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -s o -l output -d 'Print the objects (as applied, or as the server would apply them) in this format' -r -f -a "yaml\t''
json\t''
name\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -l force-conflicts -d 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -f -a "remove" -d 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and not __fish_seen_subcommand_from remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l name -d 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l namespace -d 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l wait -d 'Wait for the pods\' cleanup (a rollout) and for the pods to go before deleting the ConfigMap' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l timeout -d 'How long to wait for the pods to go (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -l dry-run -d 'client: say what would be deleted, send nothing; server: send the deletes with dryRun=All' -r -f -a "none\t'Change things for real'
client\t'Print what would be applied, send nothing'
server\t'Send the requests with dryRun=All; nothing is persisted'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand node-trust; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l default-image-prefix -d 'Prefix for function names without \'/\' (default: the runner\'s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l auth-file -d 'A .dockerconfigjson / config.json to take credentials from' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l ca-file -d 'PEM file with the registry CA (the runner\'s mounted ca.crt)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l tls-dir -d 'Directory holding ca.crt (else ca.pem), as the runner\'s --tls-secret-path' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l platform -d 'Platform to pick from a multi-arch index (default: this host\'s, e.g. linux/amd64)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l cache-dir -d 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -s o -l output -d 'Output format of the summary' -r -f -a "table\t'A table for people'
json\t'JSON for scripts'
yaml\t'YAML'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l from-cluster -d 'Use the auth and TLS Secrets that the live runner mounts'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -l allow-insecure-http -d 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand pull" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l fn-config -d 'File with the functionConfig' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -s o -l output -d 'Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l results-dir -d 'Write a FunctionResultList (kpt.dev/v1) to this directory' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l runtime -d 'How to run the function' -r -f -a "native\t'Linux namespaces, no container engine needed'
podman\t'podman run, with kpt\'s flags'
docker\t'docker run, with kpt\'s flags'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l timeout -d 'Kill the function after this long (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -s e -l env -d 'Environment variables for the function: KEY=VALUE, or KEY to pass the current value' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l mount -d 'Bind mounts, as kpt: type=bind,source=/host/dir,target=/dir[,rw=true]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l pids-limit -d 'Most processes and threads a function may have (-1: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l memory -d 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l cpus -d 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l tmp-size -d 'Size of a function\'s private /tmp, a tmpfs (e.g. 64m, 1g)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l truncate-output -d 'Show at most 4 lines of each function\'s results and stderr, as kpt (--truncate-output=false: all)' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l image-pull-policy -d 'When to pull the image: always, ifNotPresent (a cached image makes no network request), never' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-api-version -d 'Select resources with this apiVersion' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-kind -d 'Select resources of this kind' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-name -d 'Select resources with this name' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-namespace -d 'Select resources in this namespace (exactly: a resource without one is not in "default")' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-annotations -d 'Select resources with this annotation (repeat for several: all must match)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l match-labels -d 'Select resources with this label (repeat for several: all must match)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-api-version -d 'Leave out resources with this apiVersion' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-kind -d 'Leave out resources of this kind' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-name -d 'Leave out resources with this name' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-namespace -d 'Leave out resources in this namespace' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-annotations -d 'Leave out resources with this annotation (with several: those that have all of them)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l exclude-labels -d 'Leave out resources with this label (with several: those that have all of them)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l default-image-prefix -d 'Prefix for function names without \'/\' (default: the runner\'s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l auth-file -d 'A .dockerconfigjson / config.json to take credentials from' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l ca-file -d 'PEM file with the registry CA (the runner\'s mounted ca.crt)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l tls-dir -d 'Directory holding ca.crt (else ca.pem), as the runner\'s --tls-secret-path' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l platform -d 'Platform to pick from a multi-arch index (default: this host\'s, e.g. linux/amd64)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l cache-dir -d 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l network -d 'Give the function network access'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l as-current-user -d 'Run as the current user instead of nobody'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -s m -l include-meta-resources -d 'Accepted for kpt compatibility: the Kptfile and function configs are always part of the input (as in kpt 1.0, where the flag is deprecated)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l from-cluster -d 'Use the auth and TLS Secrets that the live runner mounts'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -l allow-insecure-http -d 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -s o -l output -d 'Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l results-dir -d 'Write a FunctionResultList (kpt.dev/v1) of every function to DIR/results.yaml' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l image-pull-policy -d 'When to pull images: always, ifNotPresent (a cached image makes no network request), never' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l runtime -d 'How to run the image functions' -r -f -a "native\t'Linux namespaces, no container engine needed'
podman\t'podman run, with kpt\'s flags'
docker\t'docker run, with kpt\'s flags'"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l timeout -d 'Kill a function after this long (e.g. 30s, 5m)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l pids-limit -d 'Most processes and threads a function may have (-1: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l memory -d 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l cpus -d 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l tmp-size -d 'Size of a function\'s private /tmp, a tmpfs (e.g. 64m, 1g)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l truncate-output -d 'Show at most 4 lines of each function\'s results and stderr, as kpt (--truncate-output=false: all)' -r -f -a "true\t''
false\t''"
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l default-image-prefix -d 'Prefix for function names without \'/\' (default: the runner\'s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l auth-file -d 'A .dockerconfigjson / config.json to take credentials from' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l ca-file -d 'PEM file with the registry CA (the runner\'s mounted ca.crt)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l tls-dir -d 'Directory holding ca.crt (else ca.pem), as the runner\'s --tls-secret-path' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l platform -d 'Platform to pick from a multi-arch index (default: this host\'s, e.g. linux/amd64)' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l cache-dir -d 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -s n -l namespace -d 'Namespace of the function runner (and of its Secrets) [default: porch-system]' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l kubeconfig -d 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)' -r -F
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l context -d 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l deployment -d 'Name of the function-runner Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l container -d 'Name of the runner container in the Deployment' -r
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l allow-exec -d 'Allow `exec:` functions (they run unsandboxed, as kpt runs them)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l allow-network -d 'Give the functions network access'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l from-cluster -d 'Use the auth and TLS Secrets that the live runner mounts'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -l allow-insecure-http -d 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand render" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "secret" -d 'Print the Secrets the function runner needs (registry credentials, TLS CA)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "patch" -d 'Add the private-registry configuration to the function-runner Deployment in manifests'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "remove" -d 'Take the private-registry configuration out again (manifests or the live cluster)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "setup" -d 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "check" -d 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "explain" -d 'Explain, offline, what the runner does with function images: key, credential, TLS path'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "status" -d 'Show the runner\'s private-registry configuration as the cluster has it'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "fn" -d 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "node-trust" -d 'Make the nodes\' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "pull" -d 'Pull a function image with the runner\'s credentials and TLS behaviour'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "run" -d 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "render" -d 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "completions" -d 'Print shell completions'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and not __fish_seen_subcommand_from secret patch remove setup check explain status fn node-trust pull run render completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "auth" -d 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and __fish_seen_subcommand_from secret" -f -a "tls" -d 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
complete -c kubectl-porch_registry -n "__fish_kubectl_porch_registry_using_subcommand help; and __fish_seen_subcommand_from node-trust" -f -a "remove" -d 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
