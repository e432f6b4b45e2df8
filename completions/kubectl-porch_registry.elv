
use builtin;
use str;

set edit:completion:arg-completer[kubectl-porch_registry] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'kubectl-porch_registry'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'kubectl-porch_registry'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand secret 'Print the Secrets the function runner needs (registry credentials, TLS CA)'
            cand patch 'Add the private-registry configuration to the function-runner Deployment in manifests'
            cand remove 'Take the private-registry configuration out again (manifests or the live cluster)'
            cand setup 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)'
            cand check 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner'
            cand explain 'Explain, offline, what the runner does with function images: key, credential, TLS path'
            cand status 'Show the runner''s private-registry configuration as the cluster has it'
            cand fn 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)'
            cand node-trust 'Make the nodes'' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)'
            cand pull 'Pull a function image with the runner''s credentials and TLS behaviour'
            cand run 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval'
            cand render 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;secret'= {
            cand -h 'Print help'
            cand --help 'Print help'
            cand auth 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
            cand tls 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;secret;auth'= {
            cand --name 'Name of the Secret'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --registry 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)'
            cand -u 'Registry user name'
            cand --username 'Registry user name'
            cand -p 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)'
            cand --password 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)'
            cand --email 'E-mail address stored with the credentials (optional)'
            cand --from-docker-config 'Take every registry from a docker/podman config (default: the user''s docker config); helper-only entries are resolved by running the helper'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --password-stdin 'Read the password (or token) from stdin'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-porch_registry;secret;tls'= {
            cand --ca-file 'PEM file with the registry''s CA certificate(s)'
            cand --name 'Name of the Secret'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand -o 'Output format'
            cand --output 'Output format'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-porch_registry;secret;help'= {
            cand auth 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
            cand tls 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;secret;help;auth'= {
        }
        &'kubectl-porch_registry;secret;help;tls'= {
        }
        &'kubectl-porch_registry;secret;help;help'= {
        }
        &'kubectl-porch_registry;patch'= {
            cand -f 'Manifest file, kpt package directory, or - for stdin'
            cand --filename 'Manifest file, kpt package directory, or - for stdin'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --auth-secret-name 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace'
            cand --auth-mount-path 'Directory where the auth Secret is mounted (must be dedicated to it)'
            cand --tls-secret-name 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls'
            cand --tls-mount-path 'Directory where the TLS Secret is mounted (must be dedicated to it)'
            cand --registry-auth-secret-name 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)'
            cand -n 'Namespace of the function runner (used to pick the Deployment)'
            cand --namespace 'Namespace of the function runner (used to pick the Deployment)'
            cand -o 'Output format of the printed manifests (yaml keeps their comments and layout)'
            cand --output 'Output format of the printed manifests (yaml keeps their comments and layout)'
            cand -i 'Write the changes back to the files instead of printing them'
            cand --in-place 'Write the changes back to the files instead of printing them'
            cand --tls 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-porch_registry;remove'= {
            cand -f 'Manifest file, kpt package directory, or - for stdin (default: the live cluster)'
            cand --filename 'Manifest file, kpt package directory, or - for stdin (default: the live cluster)'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --auth-secret-name 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace'
            cand --auth-mount-path 'Directory where the auth Secret is mounted (must be dedicated to it)'
            cand --tls-secret-name 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls'
            cand --tls-mount-path 'Directory where the TLS Secret is mounted (must be dedicated to it)'
            cand --registry-auth-secret-name 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --context-pattern 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)'
            cand --parallel 'How many clusters are handled at once'
            cand --cluster-timeout 'How long one cluster may take before it is reported as timed out (the others go on)'
            cand --fn-namespace 'Namespace where the runner creates function pods (and its Secret copy)'
            cand --dry-run 'none, client (print what would change) or server (dryRun=All)'
            cand -o 'Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)'
            cand --output 'Output format of printed objects (with -f, or live with --dry-run=client; default yaml); across contexts, of the summary: json or yaml (default: a table)'
            cand --field-manager 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]'
            cand --wait 'Wait for the rollout'
            cand --timeout 'How long to wait for the rollout (e.g. 30s, 5m)'
            cand -i 'With -f: write the changes back to the files'
            cand --in-place 'With -f: write the changes back to the files'
            cand --tls 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
            cand --all-contexts 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
            cand --delete-secrets 'Live: also delete the Secrets and the runner''s copy in the function namespace'
            cand --force-conflicts 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
            cand -y 'Don''t ask for confirmation'
            cand --yes 'Don''t ask for confirmation'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;setup'= {
            cand -f 'Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster'
            cand --filename 'Work offline on a manifest file, kpt package directory or - (stdin) instead of the cluster'
            cand --registry 'Registry host[:port] (normalised the way the runner looks it up; docker.io -> index.docker.io)'
            cand -u 'Registry user name'
            cand --username 'Registry user name'
            cand -p 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)'
            cand --password 'The password on the command line (insecure: visible in shell history and ps; prefer --password-stdin or $PORCH_REGISTRY_PASSWORD)'
            cand --email 'E-mail address stored with the credentials (optional)'
            cand --from-docker-config 'Take every registry from a docker/podman config (default: the user''s docker config); helper-only entries are resolved by running the helper'
            cand --ca-file 'PEM file with the registry''s CA certificate(s); implies --tls'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --auth-secret-name 'Name of the auth Secret (dockerconfigjson) in the runner''s namespace'
            cand --auth-mount-path 'Directory where the auth Secret is mounted (must be dedicated to it)'
            cand --tls-secret-name 'Name of the TLS CA Secret (Opaque, key ca.crt); implies --tls'
            cand --tls-mount-path 'Directory where the TLS Secret is mounted (must be dedicated to it)'
            cand --registry-auth-secret-name 'Name of the runner''s copy of the auth Secret in the function namespace (--registry-auth-secret-name)'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --context-pattern 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)'
            cand --parallel 'How many clusters are handled at once'
            cand --cluster-timeout 'How long one cluster may take before it is reported as timed out (the others go on)'
            cand --fn-namespace 'Namespace where the runner creates function pods (and its Secret copy)'
            cand --dry-run 'none, client (print the objects for kubectl apply -f -) or server (dryRun=All)'
            cand -o 'Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)'
            cand --output 'Output format of printed objects (default yaml); across contexts, of the summary: json or yaml (default: a table)'
            cand --field-manager 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]'
            cand --wait 'Wait for the rollout'
            cand --timeout 'How long to wait for the rollout (e.g. 30s, 5m)'
            cand -i 'With -f: patch the files in place and print only the Secrets'
            cand --in-place 'With -f: patch the files in place and print only the Secrets'
            cand --password-stdin 'Read the password (or token) from stdin'
            cand --tls 'Also configure a registry CA (implied by --tls-secret-name or --ca-file)'
            cand --all-contexts 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
            cand --force-conflicts 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
            cand -y 'Don''t ask for confirmation'
            cand --yes 'Don''t ask for confirmation'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;check'= {
            cand -f 'Manifest file, kpt package directory or - (stdin); default: the live cluster'
            cand --filename 'Manifest file, kpt package directory or - (stdin); default: the live cluster'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --context-pattern 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)'
            cand --parallel 'How many clusters are handled at once'
            cand --cluster-timeout 'How long one cluster may take before it is reported as timed out (the others go on)'
            cand --fn-namespace 'Namespace where the runner creates function pods'
            cand --package 'Also judge every function image of the Kptfile pipelines in DIR and its subpackages'
            cand --default-image-prefix 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)'
            cand --pull-test 'Live: pull each IMAGE (and the --package images) on every Ready node from a short-lived pod in the function namespace, as the runner''s function pods would; the pods are deleted afterwards'
            cand --timeout 'With --pull-test: how long the whole test may take (e.g. 90s, 5m)'
            cand --nodes 'With --pull-test: test on at most N Ready nodes (by name)'
            cand --node-trust-name 'Live, with TLS on: the node-trust DaemonSet whose per-node state tells whether the nodes trust the CA'
            cand --node-trust-namespace 'Namespace of the node-trust DaemonSet'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all-contexts 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
            cand --probe 'Also log in to every registry in the auth Secret and report credentials and TLS step'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;explain'= {
            cand --package 'Add every function image of the Kptfile pipelines in DIR and its subpackages'
            cand -f 'Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster'
            cand --filename 'Manifests with the runner Deployment and its Secrets (file, kpt package or -); default: the live cluster'
            cand --auth-file 'A bare .dockerconfigjson / config.json as the runner''s auth file (private registries on)'
            cand --default-image-prefix 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --context-pattern 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)'
            cand --parallel 'How many clusters are handled at once'
            cand --cluster-timeout 'How long one cluster may take before it is reported as timed out (the others go on)'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --tls 'With --auth-file: the runner has --enable-private-registries-tls=true too'
            cand --all-contexts 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;status'= {
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --context-pattern 'With --all-contexts: only the contexts whose name matches this glob (`*`, `?`, `[a-z]`)'
            cand --parallel 'How many clusters are handled at once'
            cand --cluster-timeout 'How long one cluster may take before it is reported as timed out (the others go on)'
            cand --fn-namespace 'Namespace where the runner creates function pods'
            cand --node-trust-name 'Name of the node-trust DaemonSet whose per-node state is shown'
            cand --node-trust-namespace 'Namespace of the node-trust DaemonSet'
            cand -o 'Output format'
            cand --output 'Output format'
            cand --all-contexts 'Every context of the kubeconfig (with --context-pattern: those whose name matches)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;fn'= {
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'kubectl-porch_registry;node-trust'= {
            cand --method 'How the nodes get the CA'
            cand --registry 'Registry HOST[:PORT] whose CA the nodes trust (repeatable; default: the keys of the runner''s auth Secret)'
            cand --ca-file 'PEM file with the registry''s CA certificate(s) (default: ca.crt of the TLS Secret the runner mounts)'
            cand --name 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)'
            cand --namespace 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)'
            cand --image 'The DaemonSet''s helper image (needs sh, cmp, cp, mv)'
            cand --runner-namespace 'Namespace of the function runner, whose Secrets give the default CA and registries'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --field-manager 'Name of the field manager that owns what this writes (metadata.managedFields) [default: kubectl-porch-registry]'
            cand --wait 'Wait for the rollout'
            cand --timeout 'How long to wait for the rollout (e.g. 30s, 5m)'
            cand --dry-run 'client: print the objects (for kubectl apply -f -), send nothing; server: send them with dryRun=All'
            cand -o 'Print the objects (as applied, or as the server would apply them) in this format'
            cand --output 'Print the objects (as applied, or as the server would apply them) in this format'
            cand --force-conflicts 'Take fields another field manager owns (Argo CD, Flux, kubectl); without it such a conflict is an error (exit 10) and nothing is changed'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand remove 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;node-trust;remove'= {
            cand --name 'Name of the node-trust objects (DaemonSet, ServiceAccount, ConfigMap)'
            cand --namespace 'Namespace of the DaemonSet (Pod Security admission must allow `privileged` there)'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --wait 'Wait for the pods'' cleanup (a rollout) and for the pods to go before deleting the ConfigMap'
            cand --timeout 'How long to wait for the pods to go (e.g. 30s, 5m)'
            cand --dry-run 'client: say what would be deleted, send nothing; server: send the deletes with dryRun=All'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;node-trust;help'= {
            cand remove 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;node-trust;help;remove'= {
        }
        &'kubectl-porch_registry;node-trust;help;help'= {
        }
        &'kubectl-porch_registry;pull'= {
            cand --default-image-prefix 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)'
            cand --auth-file 'A .dockerconfigjson / config.json to take credentials from'
            cand --ca-file 'PEM file with the registry CA (the runner''s mounted ca.crt)'
            cand --tls-dir 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path'
            cand --platform 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)'
            cand --cache-dir 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand -o 'Output format of the summary'
            cand --output 'Output format of the summary'
            cand --from-cluster 'Use the auth and TLS Secrets that the live runner mounts'
            cand --allow-insecure-http 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;run'= {
            cand --fn-config 'File with the functionConfig'
            cand -o 'Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place'
            cand --output 'Output: stdout (ResourceList), unwrap (plain YAML), or a directory; default: in place'
            cand --results-dir 'Write a FunctionResultList (kpt.dev/v1) to this directory'
            cand --runtime 'How to run the function'
            cand --timeout 'Kill the function after this long (e.g. 30s, 5m)'
            cand -e 'Environment variables for the function: KEY=VALUE, or KEY to pass the current value'
            cand --env 'Environment variables for the function: KEY=VALUE, or KEY to pass the current value'
            cand --mount 'Bind mounts, as kpt: type=bind,source=/host/dir,target=/dir[,rw=true]'
            cand --pids-limit 'Most processes and threads a function may have (-1: no limit)'
            cand --memory 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)'
            cand --cpus 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)'
            cand --tmp-size 'Size of a function''s private /tmp, a tmpfs (e.g. 64m, 1g)'
            cand --truncate-output 'Show at most 4 lines of each function''s results and stderr, as kpt (--truncate-output=false: all)'
            cand --image-pull-policy 'When to pull the image: always, ifNotPresent (a cached image makes no network request), never'
            cand --match-api-version 'Select resources with this apiVersion'
            cand --match-kind 'Select resources of this kind'
            cand --match-name 'Select resources with this name'
            cand --match-namespace 'Select resources in this namespace (exactly: a resource without one is not in "default")'
            cand --match-annotations 'Select resources with this annotation (repeat for several: all must match)'
            cand --match-labels 'Select resources with this label (repeat for several: all must match)'
            cand --exclude-api-version 'Leave out resources with this apiVersion'
            cand --exclude-kind 'Leave out resources of this kind'
            cand --exclude-name 'Leave out resources with this name'
            cand --exclude-namespace 'Leave out resources in this namespace'
            cand --exclude-annotations 'Leave out resources with this annotation (with several: those that have all of them)'
            cand --exclude-labels 'Leave out resources with this label (with several: those that have all of them)'
            cand --default-image-prefix 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)'
            cand --auth-file 'A .dockerconfigjson / config.json to take credentials from'
            cand --ca-file 'PEM file with the registry CA (the runner''s mounted ca.crt)'
            cand --tls-dir 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path'
            cand --platform 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)'
            cand --cache-dir 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --network 'Give the function network access'
            cand --as-current-user 'Run as the current user instead of nobody'
            cand -m 'Accepted for kpt compatibility: the Kptfile and function configs are always part of the input (as in kpt 1.0, where the flag is deprecated)'
            cand --include-meta-resources 'Accepted for kpt compatibility: the Kptfile and function configs are always part of the input (as in kpt 1.0, where the flag is deprecated)'
            cand --from-cluster 'Use the auth and TLS Secrets that the live runner mounts'
            cand --allow-insecure-http 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;render'= {
            cand -o 'Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place'
            cand --output 'Output: stdout (ResourceList), unwrap (plain YAML), or a new directory; default: in place'
            cand --results-dir 'Write a FunctionResultList (kpt.dev/v1) of every function to DIR/results.yaml'
            cand --image-pull-policy 'When to pull images: always, ifNotPresent (a cached image makes no network request), never'
            cand --runtime 'How to run the image functions'
            cand --timeout 'Kill a function after this long (e.g. 30s, 5m)'
            cand --pids-limit 'Most processes and threads a function may have (-1: no limit)'
            cand --memory 'Memory of a function, all its processes together (e.g. 512m, 4g; 0: no limit)'
            cand --cpus 'CPUs a function may use, e.g. 0.5 or 2 (0: no limit)'
            cand --tmp-size 'Size of a function''s private /tmp, a tmpfs (e.g. 64m, 1g)'
            cand --truncate-output 'Show at most 4 lines of each function''s results and stderr, as kpt (--truncate-output=false: all)'
            cand --default-image-prefix 'Prefix for function names without ''/'' (default: the runner''s --default-image-prefix, else ghcr.io/kptdev/krm-functions-catalog; "" resolves nothing)'
            cand --auth-file 'A .dockerconfigjson / config.json to take credentials from'
            cand --ca-file 'PEM file with the registry CA (the runner''s mounted ca.crt)'
            cand --tls-dir 'Directory holding ca.crt (else ca.pem), as the runner''s --tls-secret-path'
            cand --platform 'Platform to pick from a multi-arch index (default: this host''s, e.g. linux/amd64)'
            cand --cache-dir 'Cache directory (default: $XDG_CACHE_HOME/kubectl-porch-registry)'
            cand -n 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --namespace 'Namespace of the function runner (and of its Secrets) [default: porch-system]'
            cand --kubeconfig 'Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)'
            cand --context 'The kubeconfig context to use (default: the current context); `setup`, `status`, `check`, `remove` and live `explain` take it several times, one cluster per context'
            cand --deployment 'Name of the function-runner Deployment'
            cand --container 'Name of the runner container in the Deployment'
            cand --allow-exec 'Allow `exec:` functions (they run unsandboxed, as kpt runs them)'
            cand --allow-network 'Give the functions network access'
            cand --from-cluster 'Use the auth and TLS Secrets that the live runner mounts'
            cand --allow-insecure-http 'Allow plain HTTP as a last resort (the runner does NOT do this; warns)'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;completions'= {
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'kubectl-porch_registry;help'= {
            cand secret 'Print the Secrets the function runner needs (registry credentials, TLS CA)'
            cand patch 'Add the private-registry configuration to the function-runner Deployment in manifests'
            cand remove 'Take the private-registry configuration out again (manifests or the live cluster)'
            cand setup 'Do the whole job: Secrets plus the Deployment patch, live or offline (-f)'
            cand check 'Lint a configuration (manifests with -f, else the live cluster) for what breaks the runner'
            cand explain 'Explain, offline, what the runner does with function images: key, credential, TLS path'
            cand status 'Show the runner''s private-registry configuration as the cluster has it'
            cand fn 'Run as a KRM function: ResourceList on stdin, patched ResourceList on stdout (kpt fn eval --exec)'
            cand node-trust 'Make the nodes'' container runtimes trust the registry CA (print it for kind, k3s, OpenShift)'
            cand pull 'Pull a function image with the runner''s credentials and TLS behaviour'
            cand run 'Run a (private) KRM function image locally on a package, sandboxed, like kpt fn eval'
            cand render 'Render a package: run its Kptfile pipelines (subpackages first) like kpt fn render'
            cand completions 'Print shell completions'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'kubectl-porch_registry;help;secret'= {
            cand auth 'Print a kubernetes.io/dockerconfigjson Secret with registry credentials'
            cand tls 'Print an Opaque Secret holding a registry CA certificate under ca.crt'
        }
        &'kubectl-porch_registry;help;secret;auth'= {
        }
        &'kubectl-porch_registry;help;secret;tls'= {
        }
        &'kubectl-porch_registry;help;patch'= {
        }
        &'kubectl-porch_registry;help;remove'= {
        }
        &'kubectl-porch_registry;help;setup'= {
        }
        &'kubectl-porch_registry;help;check'= {
        }
        &'kubectl-porch_registry;help;explain'= {
        }
        &'kubectl-porch_registry;help;status'= {
        }
        &'kubectl-porch_registry;help;fn'= {
        }
        &'kubectl-porch_registry;help;node-trust'= {
            cand remove 'Delete the node-trust DaemonSet, ConfigMap and ServiceAccount (the pods first remove the files they wrote)'
        }
        &'kubectl-porch_registry;help;node-trust;remove'= {
        }
        &'kubectl-porch_registry;help;pull'= {
        }
        &'kubectl-porch_registry;help;run'= {
        }
        &'kubectl-porch_registry;help;render'= {
        }
        &'kubectl-porch_registry;help;completions'= {
        }
        &'kubectl-porch_registry;help;help'= {
        }
    ]
    $completions[$command]
}
