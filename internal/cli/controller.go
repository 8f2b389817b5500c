package cli

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/go-logr/logr"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	istionet "istio.io/client-go/pkg/apis/networking/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	"sluice.dev/sluice/api/v1alpha1"
	"sluice.dev/sluice/internal/alerts"
	"sluice.dev/sluice/internal/controller"
	"sluice.dev/sluice/internal/hooks"
	"sluice.dev/sluice/internal/telemetry"
)

// controllerOptions are the flags of `sluice controller`.
type controllerOptions struct {
	leaderElect     bool
	metricsAddr     string
	probeAddr       string
	prometheusAddr  string
	watchNamespace  string
	leaderNamespace string
	// allowLinkLocal lets webhooks call link-local and metadata addresses.
	allowLinkLocal bool
}

func newControllerCommand(g *globals) *cobra.Command {
	var o controllerOptions
	cmd := &cobra.Command{
		Use:   "controller",
		Short: "Run the Kubernetes controller for Release objects",
		Long: `Run the controller that drives Releases in a cluster: it watches Release objects,
scales Deployments, writes weights into Istio VirtualServices or Gateway API
HTTPRoutes, reads Prometheus and calls webhooks. All state lives in .status.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runController(cmd, g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.leaderElect, "leader-elect", false, "elect a leader, so only one replica acts")
	f.StringVar(&o.leaderNamespace, "leader-election-namespace", "", "namespace of the leader election lease (default: the pod's)")
	f.StringVar(&o.metricsAddr, "metrics-bind-address", "127.0.0.1:8080", "address of the /metrics endpoint (the manifests bind :8080 for Prometheus); 0 turns it off")
	f.StringVar(&o.probeAddr, "health-probe-bind-address", "127.0.0.1:8081", "address of /healthz and /readyz (the manifests bind :8081 for the kubelet)")
	f.BoolVar(&o.allowLinkLocal, "allow-link-local-webhooks", false, "let webhooks call link-local and instance-metadata addresses (refused by default: anyone who may create a Release picks the URLs)")
	f.StringVar(&o.prometheusAddr, "prometheus-address", "http://prometheus.istio-system:9090", "Prometheus used by releases that name none")
	return cmd
}

// Scheme knows every kind the controller reads or writes.
func Scheme() (*runtime.Scheme, error) {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, v1alpha1.AddToScheme, istionet.AddToScheme, gwapiv1.Install} {
		if err := add(s); err != nil {
			return nil, fmt.Errorf("building the scheme: %w", err)
		}
	}
	return s, nil
}

func runController(cmd *cobra.Command, g *globals, o controllerOptions) error {
	log := slog.New(slog.NewJSONHandler(g.errOut, nil))
	ctrl.SetLogger(logr.FromSlogHandler(log.Handler()))
	cfg, err := g.kube.ToRESTConfig()
	if err != nil {
		return fmt.Errorf("kubeconfig: %w", err)
	}
	scheme, err := Scheme()
	if err != nil {
		return err
	}
	opts := ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsserver.Options{BindAddress: o.metricsAddr},
		HealthProbeBindAddress:  o.probeAddr,
		LeaderElection:          o.leaderElect,
		LeaderElectionID:        "sluice-controller.sluice.dev",
		LeaderElectionNamespace: o.leaderNamespace,
	}
	// -n/--namespace limits the controller to one namespace, so it can run
	// with a namespaced Role.
	if cmd.Flags().Changed("namespace") && g.kube.Namespace != nil {
		o.watchNamespace = *g.kube.Namespace
	}
	if o.watchNamespace != "" {
		opts.Cache = cache.Options{DefaultNamespaces: map[string]cache.Config{o.watchNamespace: {}}}
	}
	mgr, err := ctrl.NewManager(cfg, opts)
	if err != nil {
		return fmt.Errorf("starting the manager: %w", err)
	}
	rec, err := telemetry.New(ctrlmetrics.Registry)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	dispatcher := &alerts.Dispatcher{Logger: log}
	r := &controller.Reconciler{
		Alerts:    &controller.ClusterAlerts{Dispatcher: dispatcher, Reader: mgr.GetAPIReader()},
		Telemetry: rec,
		Client:    mgr.GetClient(),
		Reader:    mgr.GetAPIReader(),
		Recorder:  mgr.GetEventRecorder("sluice"),
		Clock:     clock.RealClock{},
		Parts: &controller.ClusterParts{
			Client: mgr.GetClient(), PrometheusAddress: o.prometheusAddr, Logger: log,
			Webhooks: hooks.Stages{Caller: webhookCaller(o, log)},
		},
	}
	if err := r.SetupWithManager(cmd.Context(), mgr); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("ready check: %w", err)
	}
	err = mgr.Start(cmd.Context())
	// The last decisions' alerts (a rollback, often) leave before exit,
	// within a bound.
	drainCtx, cancel := context.WithTimeout(context.WithoutCancel(cmd.Context()), 5*time.Second)
	defer cancel()
	if werr := dispatcher.Wait(drainCtx); werr != nil {
		log.Warn("alerts not sent before exit", "err", werr)
	}
	if err != nil {
		return fmt.Errorf("controller: %w", err)
	}
	return nil
}

// webhookCaller calls the releases' webhooks, refusing link-local and
// metadata addresses unless the controller was told to allow them.
func webhookCaller(o controllerOptions, log *slog.Logger) *hooks.Caller {
	c := &hooks.Caller{Logger: log}
	if !o.allowLinkLocal {
		c.HTTP = hooks.NoLinkLocal()
	}
	return c
}
