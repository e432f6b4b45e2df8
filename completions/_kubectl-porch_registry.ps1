
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-porch_registry' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-porch_registry'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'kubectl-porch_registry' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'Print the Secrets the function runner needs (registry credentials, TLS CA)')
            [CompletionResult]::new('patch', 'patch', [CompletionResultType]::ParameterValue, 'Add the private-registry configuration to the function-runner Deployment in manifests')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Take the private-registry configuration out again (manifests or the live cluster)')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain, offline, what the runner does with function images: key, credential, TLS path')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the runner''s private-registry configuration as the cluster has it')
            [CompletionResult]::new('fn', 'fn', [CompletionResultType]::ParameterValue, 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)')
            [CompletionResult]::new('node-trust', 'node-trust', [CompletionResultType]::ParameterValue, 'Make the nodes'' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull a function image with the runner''s credentials and TLS behaviour')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;secret' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Print an Opaque Secret holding a registry CA certificate under ca.crt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;secret;auth' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the Secret')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Registry user name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Registry user name')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'E-mail address stored with the credentials (optional)')
            [CompletionResult]::new('--from-docker-config', '--from-docker-config', [CompletionResultType]::ParameterName, 'Take every registry from a docker/podman config (default: the user''s docker config); helper-only entries are resolved by running the helper')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password (or token) from stdin')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-porch_registry;secret;tls' {
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry''s CA certificate(s)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the Secret')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-porch_registry;secret;help' {
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Print an Opaque Secret holding a registry CA certificate under ca.crt')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;secret;help;auth' {
            break
        }
        'kubectl-porch_registry;secret;help;tls' {
            break
        }
        'kubectl-porch_registry;secret;help;help' {
            break
        }
        'kubectl-porch_registry;patch' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory, or - for stdin')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory, or - for stdin')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--auth-secret-name', '--auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace')
            [CompletionResult]::new('--auth-mount-path', '--auth-mount-path', [CompletionResultType]::ParameterName, 'Directory where the auth Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--tls-secret-name', '--tls-secret-name', [CompletionResultType]::ParameterName, 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls')
            [CompletionResult]::new('--tls-mount-path', '--tls-mount-path', [CompletionResultType]::ParameterName, 'Directory where the TLS Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--registry-auth-secret-name', '--registry-auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (used to pick the Deployment)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (used to pick the Deployment)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the printed manifests (yaml keeps their comments and layout)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the printed manifests (yaml keeps their comments and layout)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Write the changes back to the files instead of printing them')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'Write the changes back to the files instead of printing them')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-porch_registry;remove' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory, or - for stdin (default: the live cluster)')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory, or - for stdin (default: the live cluster)')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--auth-secret-name', '--auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace')
            [CompletionResult]::new('--auth-mount-path', '--auth-mount-path', [CompletionResultType]::ParameterName, 'Directory where the auth Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--tls-secret-name', '--tls-secret-name', [CompletionResultType]::ParameterName, 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls')
            [CompletionResult]::new('--tls-mount-path', '--tls-mount-path', [CompletionResultType]::ParameterName, 'Directory where the TLS Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--registry-auth-secret-name', '--registry-auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--context-pattern', '--context-pattern', [CompletionResultType]::ParameterName, 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many clusters are handled at once')
            [CompletionResult]::new('--cluster-timeout', '--cluster-timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take before it is reported as timed out (the others go on)')
            [CompletionResult]::new('--fn-namespace', '--fn-namespace', [CompletionResultType]::ParameterName, 'Namespace where the runner creates function pods (and its Secret copy)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'none, client (print what would change) or server (dryRun=All)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the rollout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the rollout (e.g. 30s, 5m)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'With -f: write the changes back to the files')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'With -f: write the changes back to the files')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig (with --context-pattern: those whose name matches)')
            [CompletionResult]::new('--delete-secrets', '--delete-secrets', [CompletionResultType]::ParameterName, 'Live: also delete the Secrets and the runner''s copy in the function namespace')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Don''t ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Don''t ask for confirmation')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;setup' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)')
            [CompletionResult]::new('-u', '-u', [CompletionResultType]::ParameterName, 'Registry user name')
            [CompletionResult]::new('--username', '--username', [CompletionResultType]::ParameterName, 'Registry user name')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)')
            [CompletionResult]::new('--password', '--password', [CompletionResultType]::ParameterName, 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)')
            [CompletionResult]::new('--email', '--email', [CompletionResultType]::ParameterName, 'E-mail address stored with the credentials (optional)')
            [CompletionResult]::new('--from-docker-config', '--from-docker-config', [CompletionResultType]::ParameterName, 'Take every registry from a docker/podman config (default: the user''s docker config); helper-only entries are resolved by running the helper')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry''s CA certificate(s); implies --tls')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--auth-secret-name', '--auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace')
            [CompletionResult]::new('--auth-mount-path', '--auth-mount-path', [CompletionResultType]::ParameterName, 'Directory where the auth Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--tls-secret-name', '--tls-secret-name', [CompletionResultType]::ParameterName, 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls')
            [CompletionResult]::new('--tls-mount-path', '--tls-mount-path', [CompletionResultType]::ParameterName, 'Directory where the TLS Secret is mounted (must be dedicated to it)')
            [CompletionResult]::new('--registry-auth-secret-name', '--registry-auth-secret-name', [CompletionResultType]::ParameterName, 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--context-pattern', '--context-pattern', [CompletionResultType]::ParameterName, 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many clusters are handled at once')
            [CompletionResult]::new('--cluster-timeout', '--cluster-timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take before it is reported as timed out (the others go on)')
            [CompletionResult]::new('--fn-namespace', '--fn-namespace', [CompletionResultType]::ParameterName, 'Namespace where the runner creates function pods (and its Secret copy)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'none, client (print the objects for kubectl apply -f -) or server (dryRun=All)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the rollout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the rollout (e.g. 30s, 5m)')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'With -f: patch the files in place and print only the Secrets')
            [CompletionResult]::new('--in-place', '--in-place', [CompletionResultType]::ParameterName, 'With -f: patch the files in place and print only the Secrets')
            [CompletionResult]::new('--password-stdin', '--password-stdin', [CompletionResultType]::ParameterName, 'Read the password (or token) from stdin')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig (with --context-pattern: those whose name matches)')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Don''t ask for confirmation')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Don''t ask for confirmation')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;check' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory or - (stdin); default: the live cluster')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file, kpt package directory or - (stdin); default: the live cluster')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--context-pattern', '--context-pattern', [CompletionResultType]::ParameterName, 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many clusters are handled at once')
            [CompletionResult]::new('--cluster-timeout', '--cluster-timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take before it is reported as timed out (the others go on)')
            [CompletionResult]::new('--fn-namespace', '--fn-namespace', [CompletionResultType]::ParameterName, 'Namespace where the runner creates function pods')
            [CompletionResult]::new('--package', '--package', [CompletionResultType]::ParameterName, 'Also judge every function image of the Kptfile pipelines in DIR and its subpackages')
            [CompletionResult]::new('--default-image-prefix', '--default-image-prefix', [CompletionResultType]::ParameterName, 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)')
            [CompletionResult]::new('--pull-test', '--pull-test', [CompletionResultType]::ParameterName, 'Live: pull each IMAGE (and the --package images) on every Ready node from a short-lived pod in the function namespace, as the runner''s function pods would; the pods are deleted afterwards')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'With --pull-test: how long the whole test may take (e.g. 90s, 5m)')
            [CompletionResult]::new('--nodes', '--nodes', [CompletionResultType]::ParameterName, 'With --pull-test: test on at most N Ready nodes (by name)')
            [CompletionResult]::new('--node-trust-name', '--node-trust-name', [CompletionResultType]::ParameterName, 'Live, with TLS on: the node-trust DaemonSet whose per-node state tells whether the nodes trust the CA')
            [CompletionResult]::new('--node-trust-namespace', '--node-trust-namespace', [CompletionResultType]::ParameterName, 'Namespace of the node-trust DaemonSet')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig (with --context-pattern: those whose name matches)')
            [CompletionResult]::new('--probe', '--probe', [CompletionResultType]::ParameterName, 'Also log in to every registry in the auth Secret and report credentials and TLS step')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;explain' {
            [CompletionResult]::new('--package', '--package', [CompletionResultType]::ParameterName, 'Add every function image of the Kptfile pipelines in DIR and its subpackages')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster')
            [CompletionResult]::new('--auth-file', '--auth-file', [CompletionResultType]::ParameterName, 'A bare .dockerconfigjson / config.json as the runner''s auth file (private registries on)')
            [CompletionResult]::new('--default-image-prefix', '--default-image-prefix', [CompletionResultType]::ParameterName, 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--context-pattern', '--context-pattern', [CompletionResultType]::ParameterName, 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many clusters are handled at once')
            [CompletionResult]::new('--cluster-timeout', '--cluster-timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take before it is reported as timed out (the others go on)')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'With --auth-file: the runner has --enable-private-registries-tls=true too')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig (with --context-pattern: those whose name matches)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;status' {
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--context-pattern', '--context-pattern', [CompletionResultType]::ParameterName, 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)')
            [CompletionResult]::new('--parallel', '--parallel', [CompletionResultType]::ParameterName, 'How many clusters are handled at once')
            [CompletionResult]::new('--cluster-timeout', '--cluster-timeout', [CompletionResultType]::ParameterName, 'How long one cluster may take before it is reported as timed out (the others go on)')
            [CompletionResult]::new('--fn-namespace', '--fn-namespace', [CompletionResultType]::ParameterName, 'Namespace where the runner creates function pods')
            [CompletionResult]::new('--node-trust-name', '--node-trust-name', [CompletionResultType]::ParameterName, 'Name of the node-trust DaemonSet whose per-node state is shown')
            [CompletionResult]::new('--node-trust-namespace', '--node-trust-namespace', [CompletionResultType]::ParameterName, 'Namespace of the node-trust DaemonSet')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--all-contexts', '--all-contexts', [CompletionResultType]::ParameterName, 'Every context of the kubeconfig (with --context-pattern: those whose name matches)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;fn' {
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'kubectl-porch_registry;node-trust' {
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'How the nodes get the CA')
            [CompletionResult]::new('--registry', '--registry', [CompletionResultType]::ParameterName, 'Registry HOST[:PORT] whose CA the nodes trust (repeatable; default: the keys of the runner''s auth Secret)')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry''s CA certificate(s) (default: ca.crt of the TLS Secret the runner mounts)')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The DaemonSet''s helper image (needs sh, cmp, cp, mv)')
            [CompletionResult]::new('--runner-namespace', '--runner-namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner, whose Secrets give the default CA and registries')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--field-manager', '--field-manager', [CompletionResultType]::ParameterName, 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the rollout')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the rollout (e.g. 30s, 5m)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: print the objects (for kubectl apply -f -), send nothing; server: send them with dryRun=All')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the objects (as applied, or as the server would apply them) in this format')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the objects (as applied, or as the server would apply them) in this format')
            [CompletionResult]::new('--force-conflicts', '--force-conflicts', [CompletionResultType]::ParameterName, 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;node-trust;remove' {
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait for the pods'' cleanup (a rollout) and for the pods to go before deleting the ConfigMap')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long to wait for the pods to go (e.g. 30s, 5m)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'client: say what would be deleted, send nothing; server: send the deletes with dryRun=All')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;node-trust;help' {
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;node-trust;help;remove' {
            break
        }
        'kubectl-porch_registry;node-trust;help;help' {
            break
        }
        'kubectl-porch_registry;pull' {
            [CompletionResult]::new('--default-image-prefix', '--default-image-prefix', [CompletionResultType]::ParameterName, 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)')
            [CompletionResult]::new('--auth-file', '--auth-file', [CompletionResultType]::ParameterName, 'A .dockerconfigjson / config.json to take credentials from')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry CA (the runner''s mounted ca.crt)')
            [CompletionResult]::new('--tls-dir', '--tls-dir', [CompletionResultType]::ParameterName, 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the summary')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the summary')
            [CompletionResult]::new('--from-cluster', '--from-cluster', [CompletionResultType]::ParameterName, 'Use the auth and TLS Secrets that the live runner mounts')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;run' {
            [CompletionResult]::new('--fn-config', '--fn-config', [CompletionResultType]::ParameterName, 'File with the functionConfig')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place')
            [CompletionResult]::new('--results-dir', '--results-dir', [CompletionResultType]::ParameterName, 'Write a FunctionResultList (kpt.dev/v1) to this directory')
            [CompletionResult]::new('--runtime', '--runtime', [CompletionResultType]::ParameterName, 'How to run the function')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Kill the function after this long (e.g. 30s, 5m)')
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Environment variables for the function: KEY=VALUE, or KEY to pass the current value')
            [CompletionResult]::new('--env', '--env', [CompletionResultType]::ParameterName, 'Environment variables for the function: KEY=VALUE, or KEY to pass the current value')
            [CompletionResult]::new('--mount', '--mount', [CompletionResultType]::ParameterName, 'Bind mounts, as kpt: type=bind,source=/host/dir,target=/dir[,rw=true]')
            [CompletionResult]::new('--pids-limit', '--pids-limit', [CompletionResultType]::ParameterName, 'Most processes and threads a function may have (-1: no limit)')
            [CompletionResult]::new('--memory', '--memory', [CompletionResultType]::ParameterName, 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)')
            [CompletionResult]::new('--tmp-size', '--tmp-size', [CompletionResultType]::ParameterName, 'Size of a function''s private /tmp, a tmpfs (e.g. 64m, 1g)')
            [CompletionResult]::new('--truncate-output', '--truncate-output', [CompletionResultType]::ParameterName, 'Show at most 4 lines of each function''s results and stderr, as kpt (--truncate-output=false: all)')
            [CompletionResult]::new('--image-pull-policy', '--image-pull-policy', [CompletionResultType]::ParameterName, 'When to pull the image: always, ifNotPresent (a cached image makes no network request), never')
            [CompletionResult]::new('--match-api-version', '--match-api-version', [CompletionResultType]::ParameterName, 'Select resources with this apiVersion')
            [CompletionResult]::new('--match-kind', '--match-kind', [CompletionResultType]::ParameterName, 'Select resources of this kind')
            [CompletionResult]::new('--match-name', '--match-name', [CompletionResultType]::ParameterName, 'Select resources with this name')
            [CompletionResult]::new('--match-namespace', '--match-namespace', [CompletionResultType]::ParameterName, 'Select resources in this namespace (exactly: a resource without one is not in "default")')
            [CompletionResult]::new('--match-annotations', '--match-annotations', [CompletionResultType]::ParameterName, 'Select resources with this annotation (repeat for several: all must match)')
            [CompletionResult]::new('--match-labels', '--match-labels', [CompletionResultType]::ParameterName, 'Select resources with this label (repeat for several: all must match)')
            [CompletionResult]::new('--exclude-api-version', '--exclude-api-version', [CompletionResultType]::ParameterName, 'Leave out resources with this apiVersion')
            [CompletionResult]::new('--exclude-kind', '--exclude-kind', [CompletionResultType]::ParameterName, 'Leave out resources of this kind')
            [CompletionResult]::new('--exclude-name', '--exclude-name', [CompletionResultType]::ParameterName, 'Leave out resources with this name')
            [CompletionResult]::new('--exclude-namespace', '--exclude-namespace', [CompletionResultType]::ParameterName, 'Leave out resources in this namespace')
            [CompletionResult]::new('--exclude-annotations', '--exclude-annotations', [CompletionResultType]::ParameterName, 'Leave out resources with this annotation (with several: those that have all of them)')
            [CompletionResult]::new('--exclude-labels', '--exclude-labels', [CompletionResultType]::ParameterName, 'Leave out resources with this label (with several: those that have all of them)')
            [CompletionResult]::new('--default-image-prefix', '--default-image-prefix', [CompletionResultType]::ParameterName, 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)')
            [CompletionResult]::new('--auth-file', '--auth-file', [CompletionResultType]::ParameterName, 'A .dockerconfigjson / config.json to take credentials from')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry CA (the runner''s mounted ca.crt)')
            [CompletionResult]::new('--tls-dir', '--tls-dir', [CompletionResultType]::ParameterName, 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--network', '--network', [CompletionResultType]::ParameterName, 'Give the function network access')
            [CompletionResult]::new('--as-current-user', '--as-current-user', [CompletionResultType]::ParameterName, 'Run as the current user instead of nobody')
            [CompletionResult]::new('-m', '-m', [CompletionResultType]::ParameterName, 'Accepted for kpt compatibility: the Kptfile and function configs are always part of the input (as in kpt 1.0, where the flag is deprecated)')
            [CompletionResult]::new('--include-meta-resources', '--include-meta-resources', [CompletionResultType]::ParameterName, 'Accepted for kpt compatibility: the Kptfile and function configs are always part of the input (as in kpt 1.0, where the flag is deprecated)')
            [CompletionResult]::new('--from-cluster', '--from-cluster', [CompletionResultType]::ParameterName, 'Use the auth and TLS Secrets that the live runner mounts')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;render' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place')
            [CompletionResult]::new('--results-dir', '--results-dir', [CompletionResultType]::ParameterName, 'Write a FunctionResultList (kpt.dev/v1) of every function to DIR/results.yaml')
            [CompletionResult]::new('--image-pull-policy', '--image-pull-policy', [CompletionResultType]::ParameterName, 'When to pull images: always, ifNotPresent (a cached image makes no network request), never')
            [CompletionResult]::new('--runtime', '--runtime', [CompletionResultType]::ParameterName, 'How to run the image functions')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Kill a function after this long (e.g. 30s, 5m)')
            [CompletionResult]::new('--pids-limit', '--pids-limit', [CompletionResultType]::ParameterName, 'Most processes and threads a function may have (-1: no limit)')
            [CompletionResult]::new('--memory', '--memory', [CompletionResultType]::ParameterName, 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)')
            [CompletionResult]::new('--cpus', '--cpus', [CompletionResultType]::ParameterName, 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)')
            [CompletionResult]::new('--tmp-size', '--tmp-size', [CompletionResultType]::ParameterName, 'Size of a function''s private /tmp, a tmpfs (e.g. 64m, 1g)')
            [CompletionResult]::new('--truncate-output', '--truncate-output', [CompletionResultType]::ParameterName, 'Show at most 4 lines of each function''s results and stderr, as kpt (--truncate-output=false: all)')
            [CompletionResult]::new('--default-image-prefix', '--default-image-prefix', [CompletionResultType]::ParameterName, 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)')
            [CompletionResult]::new('--auth-file', '--auth-file', [CompletionResultType]::ParameterName, 'A .dockerconfigjson / config.json to take credentials from')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'PEM file with the registry CA (the runner''s mounted ca.crt)')
            [CompletionResult]::new('--tls-dir', '--tls-dir', [CompletionResultType]::ParameterName, 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path')
            [CompletionResult]::new('--platform', '--platform', [CompletionResultType]::ParameterName, 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)')
            [CompletionResult]::new('--cache-dir', '--cache-dir', [CompletionResultType]::ParameterName, 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace of the function runner (and of its Secrets) [default: porch-system]')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context')
            [CompletionResult]::new('--deployment', '--deployment', [CompletionResultType]::ParameterName, 'Name of the function-runner Deployment')
            [CompletionResult]::new('--container', '--container', [CompletionResultType]::ParameterName, 'Name of the runner container in the Deployment')
            [CompletionResult]::new('--allow-exec', '--allow-exec', [CompletionResultType]::ParameterName, 'Allow `exec:` functions (they run unsandboxed, as kpt runs them)')
            [CompletionResult]::new('--allow-network', '--allow-network', [CompletionResultType]::ParameterName, 'Give the functions network access')
            [CompletionResult]::new('--from-cluster', '--from-cluster', [CompletionResultType]::ParameterName, 'Use the auth and TLS Secrets that the live runner mounts')
            [CompletionResult]::new('--allow-insecure-http', '--allow-insecure-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-porch_registry;help' {
            [CompletionResult]::new('secret', 'secret', [CompletionResultType]::ParameterValue, 'Print the Secrets the function runner needs (registry credentials, TLS CA)')
            [CompletionResult]::new('patch', 'patch', [CompletionResultType]::ParameterValue, 'Add the private-registry configuration to the function-runner Deployment in manifests')
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Take the private-registry configuration out again (manifests or the live cluster)')
            [CompletionResult]::new('setup', 'setup', [CompletionResultType]::ParameterValue, 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain, offline, what the runner does with function images: key, credential, TLS path')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show the runner''s private-registry configuration as the cluster has it')
            [CompletionResult]::new('fn', 'fn', [CompletionResultType]::ParameterValue, 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)')
            [CompletionResult]::new('node-trust', 'node-trust', [CompletionResultType]::ParameterValue, 'Make the nodes'' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)')
            [CompletionResult]::new('pull', 'pull', [CompletionResultType]::ParameterValue, 'Pull a function image with the runner''s credentials and TLS behaviour')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval')
            [CompletionResult]::new('render', 'render', [CompletionResultType]::ParameterValue, 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print shell completions')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-porch_registry;help;secret' {
            [CompletionResult]::new('auth', 'auth', [CompletionResultType]::ParameterValue, 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials')
            [CompletionResult]::new('tls', 'tls', [CompletionResultType]::ParameterValue, 'Print an Opaque Secret holding a registry CA certificate under ca.crt')
            break
        }
        'kubectl-porch_registry;help;secret;auth' {
            break
        }
        'kubectl-porch_registry;help;secret;tls' {
            break
        }
        'kubectl-porch_registry;help;patch' {
            break
        }
        'kubectl-porch_registry;help;remove' {
            break
        }
        'kubectl-porch_registry;help;setup' {
            break
        }
        'kubectl-porch_registry;help;check' {
            break
        }
        'kubectl-porch_registry;help;explain' {
            break
        }
        'kubectl-porch_registry;help;status' {
            break
        }
        'kubectl-porch_registry;help;fn' {
            break
        }
        'kubectl-porch_registry;help;node-trust' {
            [CompletionResult]::new('remove', 'remove', [CompletionResultType]::ParameterValue, 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)')
            break
        }
        'kubectl-porch_registry;help;node-trust;remove' {
            break
        }
        'kubectl-porch_registry;help;pull' {
            break
        }
        'kubectl-porch_registry;help;run' {
            break
        }
        'kubectl-porch_registry;help;render' {
            break
        }
        'kubectl-porch_registry;help;completions' {
            break
        }
        'kubectl-porch_registry;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
