package integration

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"

	"github.com/eventscale/eventscale/tests/integration/pki"
)

// tempPrefix names the temporary folders of [Start]; [Start] removes stale
// ones left by killed test processes.
const tempPrefix = "eventscale-integration-"

// Options configure [Start].
type Options struct {
	// KubeAPIServer and Etcd are the binaries; empty means
	// [KubeAPIServerPath] and [EtcdPath].
	KubeAPIServer, Etcd string
	// ReadyTimeout bounds the wait for etcd's /health and the API server's
	// /readyz (default 3 minutes: the machine may be busy compiling).
	ReadyTimeout time.Duration
	// Logf receives progress lines (e.g. testing.T.Logf); nil discards them.
	Logf func(format string, args ...any)
	// ControllerManager is the kube-controller-manager binary (e.g. from
	// [KubeControllerManagerPath]). When set, Start also runs it on
	// 127.0.0.1 with the controllers of [controllerManagerControllers] and
	// waits for its /healthz; empty (the default) runs no controllers, as
	// the tests that apply the stacks need none.
	ControllerManager string
	// AnonymousHealth runs the API server with --anonymous-auth=true, so
	// that clients without credentials can poll /healthz, /livez, /readyz
	// and /version (what the default RBAC role system:public-info-viewer
	// grants system:unauthenticated; every other request is forbidden).
	// Off by default: every request then needs the token.
	AnonymousHealth bool
	// Controllers replaces kube-controller-manager's --controllers list
	// (default [controllerManagerControllers]); used only with ControllerManager.
	Controllers []string
	// Scheduler is the kube-scheduler binary (e.g. from [KubeSchedulerPath]).
	// When set, Start also runs it on 127.0.0.1 (no leader election, the
	// admin credentials) and waits for its /healthz; empty runs none.
	Scheduler string
	// Aggregation configures the API server's front proxy, so that it can
	// serve APIServices backed by extension API servers (such as KEDA's
	// metrics adapter): a front-proxy CA of its own, the
	// --requestheader-* flags that tell the extension servers whom to
	// trust, and the client certificate the aggregator presents to them
	// (--proxy-client-cert-file/--proxy-client-key-file). Off by default.
	Aggregation bool
}

// Cluster is an etcd and a kube-apiserver (and, on request, a
// kube-controller-manager) running on 127.0.0.1 in a temporary folder. Stop them with [Cluster.Stop]; they also die with the
// process that started them (Pdeathsig), so a killed test leaves no server.
type Cluster struct {
	// Dir is the temporary folder (certificates, keys, etcd data, logs).
	Dir string
	// URL is the API server's https URL, e.g. https://127.0.0.1:41234.
	URL string
	// EtcdURL is etcd's client URL.
	EtcdURL string
	// ControllerManagerURL is kube-controller-manager's https URL, empty
	// unless [Options.ControllerManager] is set.
	ControllerManagerURL string
	// SchedulerURL is kube-scheduler's https URL, empty unless
	// [Options.Scheduler] is set.
	SchedulerURL string
	// CAFile and CAPEM are the test CA that signed the API server's serving
	// certificate (and every certificate of [Cluster.IssueCertificate]).
	CAFile string
	CAPEM  []byte
	// Kubeconfig is a kubeconfig file in Dir with the same credentials as
	// Config (written by every Start; kube-controller-manager uses it).
	Kubeconfig string
	// Config authenticates as a member of system:masters (static token) and
	// verifies the server's certificate against the test CA.
	Config *rest.Config

	ca       *pki.CA
	procs    []*process
	stopOnce sync.Once
	stopErr  error
}

// process is one of the cluster's servers: a [Process] and its log file.
type process struct {
	*Process
	log string
}

// stop stops the server ([Process.Stop]); one that needed SIGKILL after grace is no error.
func (p *process) stop(grace time.Duration) error {
	_, err := p.Stop(grace)
	return err
}

// Start starts etcd and kube-apiserver (and kube-controller-manager when
// [Options.ControllerManager] is set) on free 127.0.0.1 ports and waits for
// each to be ready. On error everything started so far is stopped and removed.
func Start(ctx context.Context, opts Options) (c *Cluster, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if opts.ReadyTimeout == 0 {
		opts.ReadyTimeout = 3 * time.Minute
	}
	if opts.KubeAPIServer == "" {
		if opts.KubeAPIServer, err = KubeAPIServerPath(); err != nil {
			return nil, err
		}
	}
	if opts.Etcd == "" {
		if opts.Etcd, err = EtcdPath(); err != nil {
			return nil, err
		}
	}
	removeStaleDirs(logf)
	// A free port can be taken by another process between our probe and the
	// server's bind; try again with new ports.
	for attempt := 1; ; attempt++ {
		c, err = start(ctx, opts, logf)
		if err == nil || attempt == 3 || !strings.Contains(err.Error(), "address already in use") {
			return c, err
		}
		logf("port taken, retrying (attempt %d): %v", attempt, err)
	}
}

func start(ctx context.Context, opts Options, logf func(string, ...any)) (c *Cluster, err error) {
	dir, err := os.MkdirTemp("", tempPrefix)
	if err != nil {
		return nil, err
	}
	c = &Cluster{Dir: dir}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()
	// The owner's pid lets a later run remove this folder if we are killed.
	if err := os.WriteFile(filepath.Join(dir, "owner.pid"), []byte(strconv.Itoa(os.Getpid())), 0o600); err != nil {
		return c, err
	}

	ports, err := freePorts(5)
	if err != nil {
		return c, err
	}
	etcdClient, etcdPeer, apiPort, kcmPort, schedulerPort := ports[0], ports[1], ports[2], ports[3], ports[4]

	// etcd: one member, 127.0.0.1 only.
	c.EtcdURL = "http://127.0.0.1:" + strconv.Itoa(etcdClient)
	peerURL := "http://127.0.0.1:" + strconv.Itoa(etcdPeer)
	etcd, err := c.spawn("etcd", opts.Etcd,
		"--name=integration",
		"--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+c.EtcdURL,
		"--advertise-client-urls="+c.EtcdURL,
		"--listen-peer-urls="+peerURL,
		"--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=integration="+peerURL,
		"--initial-cluster-state=new",
		"--logger=zap", "--log-outputs=stderr", "--log-level=warn",
	)
	if err != nil {
		return c, err
	}
	start := time.Now()
	if err := WaitFor(ctx, opts.ReadyTimeout, etcd.Process, func() error { return etcdHealthy(c.EtcdURL) }); err != nil {
		return c, fmt.Errorf("etcd did not become healthy: %w\n%s", err, etcd.tail(20))
	}
	logf("etcd ready on %s after %s", c.EtcdURL, time.Since(start).Round(time.Millisecond))

	// Credentials: a CA, a serving certificate for 127.0.0.1, a service
	// account signing key and a static token in system:masters.
	files, err := writePKI(dir)
	if err != nil {
		return c, err
	}
	c.CAFile, c.CAPEM, c.ca = files.caFile, files.caPEM, files.ca
	c.URL = "https://127.0.0.1:" + strconv.Itoa(apiPort)
	anonymous := "--anonymous-auth=false"
	if opts.AnonymousHealth {
		anonymous = "--anonymous-auth=true"
	}
	var aggregation []string
	if opts.Aggregation {
		if aggregation, err = frontProxy(filepath.Join(dir, "pki")); err != nil {
			return c, err
		}
	}
	api, err := c.spawn("kube-apiserver", opts.KubeAPIServer, append(aggregation,
		"--etcd-servers="+c.EtcdURL,
		"--etcd-prefix=/registry",
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--secure-port="+strconv.Itoa(apiPort),
		"--cert-dir="+filepath.Join(dir, "cert-dir"),
		"--tls-cert-file="+files.servingCert,
		"--tls-private-key-file="+files.servingKey,
		"--token-auth-file="+files.tokenFile,
		"--authorization-mode=RBAC",
		anonymous,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-signing-key-file="+files.saKey,
		"--service-account-key-file="+files.saPub,
		"--service-cluster-ip-range=10.96.0.0/16",
		"--endpoint-reconciler-type=none",
		"--allow-privileged=true",
		"--profiling=false",
		"--v=1",
	)...)
	if err != nil {
		return c, err
	}
	c.Config = &rest.Config{
		Host:            c.URL,
		BearerToken:     files.token,
		TLSClientConfig: rest.TLSClientConfig{CAData: files.caPEM},
		QPS:             200,
		Burst:           400,
		Timeout:         2 * time.Minute,
	}
	start = time.Now()
	if err := WaitFor(ctx, opts.ReadyTimeout, api.Process, func() error { return apiReady(c.URL, files.caPEM, files.token) }); err != nil {
		return c, fmt.Errorf("kube-apiserver did not become ready: %w\n%s", err, api.tail(40))
	}
	logf("kube-apiserver ready on %s after %s (dir %s)", c.URL, time.Since(start).Round(time.Millisecond), dir)

	c.Kubeconfig = filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(c.Kubeconfig, kubeconfig(c.URL, files.caPEM, files.token), 0o600); err != nil {
		return c, err
	}
	if opts.ControllerManager != "" {
		if err := c.startControllerManager(ctx, opts, files, kcmPort, logf); err != nil {
			return c, err
		}
	}
	if opts.Scheduler != "" {
		if err := c.startScheduler(ctx, opts, files, schedulerPort, logf); err != nil {
			return c, err
		}
	}
	return c, nil
}

// startControllerManager runs kube-controller-manager on 127.0.0.1:port and
// waits for its /healthz.
func (c *Cluster) startControllerManager(ctx context.Context, opts Options, files *pkiFiles, port int, logf func(string, ...any)) (err error) {
	controllers := opts.Controllers
	if controllers == nil {
		controllers = controllerManagerControllers
	}
	c.ControllerManagerURL, err = c.startComponent(ctx, opts, files, "kube-controller-manager", opts.ControllerManager, port, logf,
		// Every controller uses the admin kubeconfig instead of a token of
		// its own service account, so none waits for the token controller.
		"--use-service-account-credentials=false",
		// The token controller signs legacy service-account token Secrets
		// with the API server's signing key, so the API server accepts them;
		// it and the root-CA publisher (ConfigMap kube-root-ca.crt) hand
		// out the test CA.
		"--service-account-private-key-file="+files.saKey,
		"--root-ca-file="+files.caFile,
		"--controllers="+strings.Join(controllers, ","),
	)
	return err
}

// startScheduler runs kube-scheduler on 127.0.0.1:port and waits for its
// /healthz.
func (c *Cluster) startScheduler(ctx context.Context, opts Options, files *pkiFiles, port int, logf func(string, ...any)) (err error) {
	c.SchedulerURL, err = c.startComponent(ctx, opts, files, "kube-scheduler", opts.Scheduler, port, logf)
	return err
}

// startComponent runs the control-plane component name (kube-controller-manager or
// kube-scheduler, from bin) on 127.0.0.1:port with the admin kubeconfig, the flags both
// components share and then args, and waits for its /healthz, logging how long it took. It
// returns the component's https URL.
func (c *Cluster) startComponent(ctx context.Context, opts Options, files *pkiFiles, name, bin string, port int, logf func(string, ...any), args ...string) (string, error) {
	url := "https://127.0.0.1:" + strconv.Itoa(port)
	p, err := c.spawn(name, bin, append([]string{
		"--kubeconfig=" + c.Kubeconfig,
		// Delegated authentication and authorization of its own port go to
		// the API server with the same credentials; /healthz is in the
		// default --authorization-always-allow-paths, so probes need none.
		// Without the skip it would retry reading the client CA from the
		// ConfigMap extension-apiserver-authentication, which this API
		// server (no --client-ca-file) never writes, and fill its log.
		"--authentication-kubeconfig=" + c.Kubeconfig,
		"--authentication-skip-lookup=true",
		"--authorization-kubeconfig=" + c.Kubeconfig,
		"--bind-address=127.0.0.1",
		"--secure-port=" + strconv.Itoa(port),
		// The API server's serving certificate is for 127.0.0.1 and signed
		// by the test CA, so probes verify this port like the API server's.
		"--tls-cert-file=" + files.servingCert,
		"--tls-private-key-file=" + files.servingKey,
		// One instance: no Lease to acquire, controllers start at once.
		"--leader-elect=false",
		"--profiling=false",
		"--v=1",
	}, args...)...)
	if err != nil {
		return url, err
	}
	start := time.Now()
	if err := WaitFor(ctx, opts.ReadyTimeout, p.Process, func() error { return healthy(url+"/healthz", files.caPEM) }); err != nil {
		return url, fmt.Errorf("%s did not become healthy: %w\n%s", name, err, p.tail(40))
	}
	logf("%s healthy on %s after %s", name, url, time.Since(start).Round(time.Millisecond))
	return url, nil
}

// controllerManagerControllers is kube-controller-manager's --controllers:
// every controller enabled by default ("*"; the list and the defaults are in
// k8s.io/kubernetes@v1.35.4/cmd/kube-controller-manager/names/controller_names.go
// and app/controller_descriptor.go) except those that act on Nodes and so
// need kubelets, which this cluster does not run. Kept, among others: the
// Deployment, ReplicaSet, endpoints, EndpointSlice, garbage-collector,
// namespace, service-account (the "default" ServiceAccount that admission
// requires of every Pod), job, StatefulSet, DaemonSet and
// ClusterRole-aggregation controllers. The CSR signer stays off by itself,
// as no --cluster-signing-* files are given (app/certificates.go); nothing
// here issues certificates through CSRs.
var controllerManagerControllers = []string{
	"*",
	// Taints Nodes whose kubelet stops posting status and, with the taint
	// eviction controller, deletes their Pods: without kubelets, every Node
	// a stand-in creates would go NotReady and lose its Pods.
	"-node-lifecycle-controller",
	"-taint-eviction-controller",
	// Allocates Node pod CIDRs (needs --allocate-node-cidrs and
	// --cluster-cidr); Pod IPs here come from whoever marks Pods Ready.
	"-node-ipam-controller",
	// Deletes Pods bound to a Node that does not exist, which a kubelet
	// stand-in that binds Pods without registering Nodes would trigger.
	"-pod-garbage-collector-controller",
	// Annotates Nodes for kubelets' object caches, and attaches volumes
	// to Nodes for kubelets: nothing to serve without them.
	"-ttl-controller",
	"-persistentvolume-attach-detach-controller",
	// The cloud controllers are no-ops in kube-controller-manager since the
	// in-tree cloud providers were removed (app/core.go logs "no cloud
	// provider functionality is available"); named so the list says so.
	"-service-lb-controller",
	"-cloud-node-lifecycle-controller",
	"-node-route-controller",
}

// kubeconfig returns a kubeconfig for url that verifies the server against
// caPEM and authenticates with token.
func kubeconfig(url string, caPEM []byte, token string) []byte {
	return []byte(`apiVersion: v1
kind: Config
clusters:
- name: integration
  cluster:
    server: ` + url + `
    certificate-authority-data: ` + base64.StdEncoding.EncodeToString(caPEM) + `
users:
- name: admin
  user:
    token: ` + token + `
contexts:
- name: integration
  context:
    cluster: integration
    user: admin
current-context: integration
`)
}

// Stop stops the processes in the reverse order of their start (those of
// [Cluster.Spawn], kube-scheduler and kube-controller-manager if they run, the API server, then etcd; SIGTERM to each process group,
// SIGKILL after 10 s) and removes the temporary folder. It is idempotent.
func (c *Cluster) Stop() error {
	c.stopOnce.Do(func() {
		var errs []error
		for i := len(c.procs) - 1; i >= 0; i-- {
			errs = append(errs, c.procs[i].stop(10*time.Second))
		}
		if c.Dir != "" {
			errs = append(errs, os.RemoveAll(c.Dir))
		}
		c.stopErr = errors.Join(errs...)
	})
	return c.stopErr
}

// LogTail returns the last n lines of the named server's log ("etcd",
// "kube-apiserver", "kube-controller-manager", "kube-scheduler" or a name
// given to [Cluster.Spawn]), for failure reports.
func (c *Cluster) LogTail(name string, n int) string {
	for _, p := range c.procs {
		if p.name == name {
			return p.tail(n)
		}
	}
	return ""
}

func (c *Cluster) spawn(name, bin string, args ...string) (*process, error) {
	return c.spawnEnv(name, bin, nil, args...)
}

// Spawn starts another server beside the cluster's own, under the same rules:
// its own process group, killed with the test process (Pdeathsig), its
// output in <Dir>/<name>.log (see [Cluster.LogTail]), stopped by
// [Cluster.Stop] before the servers started earlier. env, when not nil, is
// its whole environment. Wait for it with [Cluster.WaitFor].
func (c *Cluster) Spawn(name, bin string, env []string, args ...string) error {
	for _, p := range c.procs {
		if p.name == name {
			return fmt.Errorf("integration: a process named %s already runs", name)
		}
	}
	_, err := c.spawnEnv(name, bin, env, args...)
	return err
}

// WaitFor polls check every 200 ms until it succeeds, and fails when the
// process started as name exits first, timeout passes or ctx is done; the
// error carries the end of the process's log.
func (c *Cluster) WaitFor(ctx context.Context, name string, timeout time.Duration, check func() error) error {
	for _, p := range c.procs {
		if p.name == name {
			if err := WaitFor(ctx, timeout, p.Process, check); err != nil {
				return fmt.Errorf("%s: %w\n%s", name, err, p.tail(40))
			}
			return nil
		}
	}
	return fmt.Errorf("integration: no process named %s", name)
}

// StopProcess stops the process started as name by [Cluster.Spawn] before the cluster stops,
// as deleting a controller's Deployment would: SIGTERM to its process group, SIGKILL after
// grace. Stopping one that has exited is no error; [Cluster.Stop] skips it.
func (c *Cluster) StopProcess(name string, grace time.Duration) error {
	for _, p := range c.procs {
		if p.name == name {
			return p.stop(grace)
		}
	}
	return fmt.Errorf("integration: no process named %s", name)
}

// Exited reports whether the process started as name has exited, and how.
func (c *Cluster) Exited(name string) (bool, error) {
	for _, p := range c.procs {
		if p.name == name {
			if p.Exited() {
				return true, p.Err()
			}
			return false, nil
		}
	}
	return false, fmt.Errorf("integration: no process named %s", name)
}

func (c *Cluster) spawnEnv(name, bin string, env []string, args ...string) (*process, error) {
	logPath := filepath.Join(c.Dir, name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the server has its own copy
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Dir = c.Dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	proc, err := StartProcess(name, cmd)
	if err != nil {
		return nil, err
	}
	p := &process{Process: proc, log: logPath}
	c.procs = append(c.procs, p)
	return p, nil
}

// tail returns the last n lines of the process log.
func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return fmt.Sprintf("--- last %d lines of %s ---\n%s", len(lines), p.log, strings.Join(lines, "\n"))
}

func etcdHealthy(url string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(url + "/health")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"health":"true"`)) {
		return fmt.Errorf("/health: %s %s", resp.Status, body)
	}
	return nil
}

func apiReady(url string, caPEM []byte, token string) error {
	return getOK(url+"/readyz", caPEM, token)
}

// healthy GETs url without credentials and requires 200.
func healthy(url string, caPEM []byte) error { return getOK(url, caPEM, "") }

// getOK GETs url, verifying the server against caPEM and sending token
// unless it is empty, and requires 200.
func getOK(url string, caPEM []byte, token string) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	client := &http.Client{
		Timeout:   5 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}},
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s %s", url, resp.Status, bytes.TrimSpace(body))
	}
	return nil
}

// freePorts reserves n distinct free TCP ports on 127.0.0.1. The listeners
// are held until all ports are chosen, so the ports differ from each other.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// removeStaleDirs removes temporary folders of earlier runs whose owner
// process no longer exists (a test binary killed before it could clean up;
// its servers died with it through Pdeathsig).
func removeStaleDirs(logf func(string, ...any)) {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "owner.pid"))
		if err != nil {
			continue
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid <= 0 {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			if os.RemoveAll(d) == nil {
				logf("removed stale %s (owner pid %d is gone)", d, pid)
			}
		}
	}
}

type pkiFiles struct {
	ca                      *pki.CA
	caPEM                   []byte
	caFile                  string
	servingCert, servingKey string
	saKey, saPub            string
	tokenFile, token        string
}

// writePKI writes a throwaway CA, a serving certificate for 127.0.0.1 and
// localhost signed by it, a service-account key pair and a static token file
// whose only user is in system:masters.
func writePKI(dir string) (*pkiFiles, error) {
	pkiDir := filepath.Join(dir, "pki")
	if err := os.MkdirAll(pkiDir, 0o700); err != nil {
		return nil, err
	}
	ca, err := pki.NewCA("eventscale-integration-ca")
	if err != nil {
		return nil, err
	}
	serving, err := ca.Issue("kube-apiserver", []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		[]net.IP{net.ParseIP("127.0.0.1")}, "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc")
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	saPub, err := x509.MarshalPKIXPublicKey(&saKey.PublicKey)
	if err != nil {
		return nil, err
	}
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return nil, err
	}
	f := &pkiFiles{
		ca:        ca,
		caPEM:     ca.PEM(),
		caFile:    filepath.Join(pkiDir, "ca.crt"),
		saKey:     filepath.Join(pkiDir, "sa.key"),
		saPub:     filepath.Join(pkiDir, "sa.pub"),
		tokenFile: filepath.Join(pkiDir, "tokens.csv"),
		token:     hex.EncodeToString(tok),
	}
	if f.servingCert, f.servingKey, err = pki.WriteFiles(pkiDir, "serving", serving); err != nil {
		return nil, err
	}
	writes := map[string][]byte{
		f.caFile: f.caPEM,
		f.saKey:  pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)}),
		f.saPub:  pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub}),
		// token,user,uid,"group1,group2"
		f.tokenFile: []byte(f.token + `,eventscale-admin,eventscale-admin,"system:masters"` + "\n"),
	}
	for path, data := range writes {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// frontProxy writes, into pkiDir, a front-proxy CA and the client
// certificate the aggregator presents to extension API servers (CN
// front-proxy-client), and returns the API server flags that use them: the
// extension servers trust requests that come with that certificate and read
// the user from the X-Remote-* headers (the header names kubeadm sets).
func frontProxy(pkiDir string) ([]string, error) {
	ca, err := pki.NewCA("eventscale-front-proxy-ca")
	if err != nil {
		return nil, err
	}
	client, err := ca.Issue("front-proxy-client", []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, nil)
	if err != nil {
		return nil, err
	}
	caFile := filepath.Join(pkiDir, "front-proxy-ca.crt")
	certFile, keyFile, err := pki.WriteFiles(pkiDir, "front-proxy-client", client)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(caFile, ca.PEM(), 0o600); err != nil {
		return nil, err
	}
	return []string{
		"--requestheader-client-ca-file=" + caFile,
		"--requestheader-allowed-names=front-proxy-client",
		"--requestheader-username-headers=X-Remote-User",
		"--requestheader-group-headers=X-Remote-Group",
		"--requestheader-extra-headers-prefix=X-Remote-Extra-",
		"--proxy-client-cert-file=" + certFile,
		"--proxy-client-key-file=" + keyFile,
	}, nil
}

// IssueCertificate writes <name>.crt and <name>.key into dir: a P-256 key and
// a certificate signed by the cluster's CA (so the API server and every
// client given [Cluster.CAFile] trust it), valid for a day for both server
// and client authentication, for 127.0.0.1 and the given DNS names, with
// common name name.
func (c *Cluster) IssueCertificate(dir, name string, dnsNames ...string) (certFile, keyFile string, err error) {
	if c.ca == nil {
		return "", "", errors.New("integration: the cluster has no CA yet")
	}
	cert, err := c.ca.Issue(name, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		[]net.IP{net.ParseIP("127.0.0.1")}, dnsNames...)
	if err != nil {
		return "", "", err
	}
	return pki.WriteFiles(dir, name, cert)
}

// Healthy GETs url, verifying the server against the cluster's CA without
// credentials, and returns nil on 200: a check for [Cluster.WaitFor].
func (c *Cluster) Healthy(url string) error { return healthy(url, c.CAPEM) }

// FreePorts reserves n distinct free TCP ports on 127.0.0.1 (released when
// it returns, for a server to bind).
func FreePorts(n int) ([]int, error) { return freePorts(n) }
