package envtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	crenvtest "sigs.k8s.io/controller-runtime/pkg/envtest"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"
)

// quietControllerRuntime gives controller-runtime's global logger a sink
// once. Without one, envtest's CRD installer prints a stack trace warning
// whenever it logs after 30 s, which a loaded machine reaches; what it
// would log (CRDs created) Start reports itself.
var quietControllerRuntime = sync.OnceFunc(func() { ctrllog.SetLogger(logr.Discard()) })

// Env is a running kube-apiserver + etcd with the router CRDs installed.
// It is stopped when the test that started it ends.
type Env struct {
	// Config reaches the API server as an administrator. Its rate limits
	// are raised so tests with many objects are not throttled by the client.
	Config *rest.Config
	// Client is a controller-runtime client for Config, using Scheme; it
	// also handles unstructured objects of any kind, such as Istio's.
	Client client.Client
	// Scheme knows the built-in kinds and CRDs, plus what WithScheme added.
	Scheme *runtime.Scheme
	// Kubeconfig is a kubeconfig file for Config, for processes started
	// by the test (the controller, the CLI with --kubeconfig).
	Kubeconfig string
	// CRDs are the definitions that were installed and are established.
	CRDs []*apiextensionsv1.CustomResourceDefinition
}

// Option changes how Start sets up the environment.
type Option func(*options)

type options struct {
	crdPaths     []string
	scheme       *runtime.Scheme
	startTimeout time.Duration
	stopTimeout  time.Duration
}

// WithCRDPaths installs more CRDs (files or directories of YAML), such as
// Sluice's own from config/crd, after the router CRDs. A path that does not
// exist fails the test.
func WithCRDPaths(paths ...string) Option {
	return func(o *options) { o.crdPaths = append(o.crdPaths, paths...) }
}

// WithScheme gives the client a scheme that knows the test's typed objects
// (for example Sluice's Release). Start adds the built-in kinds to it.
func WithScheme(s *runtime.Scheme) Option {
	return func(o *options) { o.scheme = s }
}

// WithStartTimeout bounds how long each control-plane process may take to
// become ready; the default allows for a busy two-core machine.
func WithStartTimeout(d time.Duration) Option {
	return func(o *options) { o.startTimeout = d }
}

// Start runs a fresh kube-apiserver and etcd from $KUBEBUILDER_ASSETS,
// installs the Istio and Gateway API CRDs (and those of WithCRDPaths), waits
// until they are served, and stops everything when t ends. Without the
// binaries or CRDs the test fails, saying to run hack/e2e/setup.sh.
func Start(t testing.TB, opts ...Option) *Env {
	t.Helper()
	o := options{startTimeout: 90 * time.Second, stopTimeout: 30 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}

	assets := requireAssets(t)
	paths := []string{requirePath(t, EnvCRDsIstio), requirePath(t, EnvCRDsGateway)}
	for _, p := range o.crdPaths {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("CRD path from WithCRDPaths: %v", err)
		}
		paths = append(paths, p)
	}

	scheme := o.scheme
	if scheme == nil {
		scheme = runtime.NewScheme()
	}
	for _, add := range []func(*runtime.Scheme) error{clientgoscheme.AddToScheme, apiextensionsv1.AddToScheme} {
		if err := add(scheme); err != nil {
			t.Fatalf("building the scheme: %v", err)
		}
	}

	te := &crenvtest.Environment{
		BinaryAssetsDirectory:    assets,
		Scheme:                   scheme,
		ErrorIfCRDPathMissing:    true,
		CRDDirectoryPaths:        paths,
		ControlPlaneStartTimeout: o.startTimeout,
		ControlPlaneStopTimeout:  o.stopTimeout,
	}
	te.CRDInstallOptions.MaxTime = o.startTimeout

	quietControllerRuntime()
	began := time.Now()
	cfg, err := te.Start()
	if err != nil {
		// Start may fail after etcd is up; do not leave it running.
		_ = te.Stop()
		t.Fatalf("starting kube-apiserver and etcd from %s=%s: %v", EnvAssets, assets, err)
	}
	t.Cleanup(func() {
		if err := te.Stop(); err != nil {
			t.Errorf("stopping kube-apiserver and etcd: %v", err)
		}
	})
	t.Logf("envtest: kube-apiserver at %s ready with %d CRDs in %s", cfg.Host, len(te.CRDs), time.Since(began).Round(time.Millisecond))

	cfg.QPS, cfg.Burst = 500, 1000
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatalf("creating a client for %s: %v", cfg.Host, err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, te.KubeConfig, 0o600); err != nil {
		t.Fatalf("writing the kubeconfig: %v", err)
	}
	return &Env{
		Config:     cfg,
		Client:     c,
		Scheme:     scheme,
		Kubeconfig: kubeconfig,
		CRDs:       te.CRDs,
	}
}

// NewNamespace creates a namespace with a unique name starting with prefix
// and returns its name, so tests sharing one API server do not see each
// other's objects. There is no namespace controller, so it is not deleted.
func (e *Env) NewNamespace(t testing.TB, prefix string) string {
	t.Helper()
	prefix = strings.ToLower(strings.TrimSuffix(prefix, "-"))
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.Client.Create(ctx, ns); err != nil {
		t.Fatalf("creating a namespace %q: %v", prefix, err)
	}
	return ns.Name
}

// HasCRD reports whether a CRD with this name (plural.group) was installed.
func (e *Env) HasCRD(name string) bool {
	for _, crd := range e.CRDs {
		if crd.Name == name {
			return true
		}
	}
	return false
}

// String names the server, for test logs.
func (e *Env) String() string { return fmt.Sprintf("envtest(%s)", e.Config.Host) }
