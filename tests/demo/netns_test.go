package demo

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"
)

// The demo tier runs every server in a network namespace of its own, with only a loopback
// interface. Karpenter binds its metrics and health ports on all interfaces (":<port>",
// sigs.k8s.io/karpenter@v1.14.1/pkg/operator/operator.go) and has no flag for an address;
// inside the namespace "all interfaces" is 127.0.0.1, so nothing the tier starts can be
// reached from outside this process tree, whatever it binds. The test binary re-executes
// itself under unshare(1) (util-linux) before any test runs.

// netnsEnv marks the re-executed test binary.
const netnsEnv = "EVENTSCALE_DEMO_NETNS"

// netnsErr is why the tier could not enter its network namespace (nil inside it); the
// scenario tests skip with it, or fail when CI=true.
var netnsErr error

// enterNetns re-executes the test binary in a new network namespace (it does not return
// then), or, inside it, brings the loopback interface up. It records a failure in netnsErr.
func enterNetns() {
	if os.Getenv(netnsEnv) == "1" {
		netnsErr = loopbackUp()
		return
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		netnsErr = fmt.Errorf("unshare (util-linux) is not on PATH: the demo tier runs its servers in a network namespace of its own: %w", err)
		return
	}
	args := []string{"unshare", "--net"}
	if os.Geteuid() != 0 {
		args = append(args, "--map-root-user") // a user namespace, where unprivileged ones are allowed
	}
	// A probe first, so that a machine that forbids namespaces gets a skip (or, on CI, a
	// failure naming the cause) instead of an exec that cannot be undone.
	if out, err := exec.Command(unshare, append(args[1:], "true")...).CombinedOutput(); err != nil {
		netnsErr = fmt.Errorf("%v true: %v: %s (the demo tier needs a network namespace of its own)", args, err, out)
		return
	}
	self, err := os.Executable()
	if err != nil {
		netnsErr = err
		return
	}
	args = append(append(args, "--", self), os.Args[1:]...)
	err = syscall.Exec(unshare, args, append(os.Environ(), netnsEnv+"=1"))
	netnsErr = fmt.Errorf("exec %v: %w", args, err)
}

// loopbackUp sets the namespace's lo interface up (a new namespace has it down).
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCGIFFLAGS lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("SIOCSIFFLAGS lo: %w", err)
	}
	return nil
}

// onlyLoopback returns an error unless lo is the namespace's only interface (what the
// scenario relies on for "loopback only").
func onlyLoopback() error {
	ifaces, err := net.Interfaces()
	if err != nil {
		return err
	}
	var names []string
	for _, i := range ifaces {
		names = append(names, i.Name)
	}
	if len(names) != 1 || names[0] != "lo" {
		return errors.New("interfaces " + fmt.Sprint(names) + ", want only lo")
	}
	return nil
}
