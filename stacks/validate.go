package stacks

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/eventscale/eventscale/infra"
)

var (
	regionRe       = regexp.MustCompile(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
	dnsLabelRe     = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dnsSubdomainRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// Validate checks the whole configuration and returns every problem at once, each naming the
// config key and quoting the offending value. It creates nothing and calls no service. The
// rules of each section are in validate_<section>.go; they run, and report, in this order.
func (c Config) Validate() error {
	v := &validator{}
	if c.Region == "" {
		v.add("%s is required: set it with `pulumi config set aws:region <region>`", RegionKey)
	} else if !regionRe.MatchString(c.Region) {
		v.add("%s must be an AWS region such as \"us-west-2\", got %q", RegionKey, c.Region)
	}
	c.validateNetwork(v)
	c.validateCluster(v)
	c.validateFargate(v)
	c.validateKarpenter(v)
	c.validateKeda(v)
	c.validateQueue(v)
	c.validateMonitoring(v)
	c.validateRegistry(v)
	c.validateWorkloads(v)
	c.validateCapacity(v)
	c.validateTags(v)
	return v.err()
}

type validator struct{ errs []error }

func (v *validator) add(format string, args ...any) {
	v.errs = append(v.errs, fmt.Errorf(format, args...))
}
func (v *validator) err() error { return errors.Join(v.errs...) }

func key(section, field string) string { return Namespace + ":" + section + "." + field }

// checkLogRetention checks a log group's retention in days against the values CloudWatch Logs
// accepts (infra.LogRetentionDays).
func checkLogRetention(v *validator, name string, days int) {
	if !infra.IsLogRetentionDays(days) {
		v.add("%s must be one of the retention periods CloudWatch Logs accepts (%s days), got %d", name, infra.LogRetentionDaysList(), days)
	}
}

func checkDNSLabel(v *validator, name, val string) {
	if len(val) > 63 || !dnsLabelRe.MatchString(val) {
		v.add("%s must be a DNS-1123 label (lower-case letters, digits and '-', at most 63), got %q", name, val)
	}
}

func checkDNSSubdomain(v *validator, name, val string) {
	if len(val) > 253 || !dnsSubdomainRe.MatchString(val) {
		v.add("%s must be a DNS-1123 subdomain (lower-case letters, digits, '-' and '.'), got %q", name, val)
	}
}

func checkQuantity(v *validator, name, val string) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(val)
	if err != nil || q.Sign() <= 0 {
		v.add("%s must be a positive Kubernetes quantity such as \"1\", \"500m\" or \"4Gi\", got %q", name, val)
		return q, false
	}
	return q, true
}

func checkEnum(v *validator, name string, vals, allowed []string) {
	if len(vals) == 0 {
		v.add("%s must list at least one of %s", name, strings.Join(allowed, ", "))
	}
	for i, x := range vals {
		if !slices.Contains(allowed, x) {
			v.add("%s[%d] must be one of %s, got %q", name, i, strings.Join(allowed, ", "), x)
		}
	}
}

func checkDuration(v *validator, name, val string, allowNever bool) {
	if allowNever && val == "Never" {
		return
	}
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 || !regexp.MustCompile(`^([0-9]+(s|m|h))+$`).MatchString(val) {
		extra := ""
		if allowNever {
			extra = ` or "Never"`
		}
		v.add("%s must be a duration in h, m and s such as \"30s\" or \"720h\"%s, got %q", name, extra, val)
	}
}

// ociRepositoryPathRe is the grammar of an OCI repository name (the path after the registry host):
// the OCI distribution specification, spec.md, "Pulling manifests": <name> must match
// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*.
var ociRepositoryPathRe = regexp.MustCompile(`^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$`)

// checkChartRepository checks where a chart is fetched from: an OCI registry path
// "oci://host[:port][/path]" or a Helm HTTP repository "https://host[:port][/path]" (see
// infra.NewHelmChartSource). Plain http is refused: a chart's templates run with the rights of
// whoever deploys, so it must not be open to tampering on the way. Credentials in the URL are
// refused too: stack files are committed and chart args are kept in the state (docs/charts.md
// says how a mirror's credentials reach Helm); the value is quoted with its password redacted.
func checkChartRepository(v *validator, name, val string) {
	const want = "an OCI registry path such as \"oci://registry.example.com/charts\" or a Helm repository URL such as \"https://charts.example.com\""
	if val == "" {
		v.add("%s is required: %s", name, want)
		return
	}
	if strings.ContainsFunc(val, unicode.IsSpace) {
		v.add("%s must be %s without spaces, got %q", name, want, val)
		return
	}
	u, err := url.Parse(val)
	if err != nil {
		v.add("%s must be %s, got %q (%v)", name, want, val, errors.Unwrap(err))
		return
	}
	switch {
	case u.Scheme == "http":
		v.add("%s %q is plain http: use https:// (or oci://), a chart fetched without TLS can be altered on the way", name, val)
		return
	case u.Scheme != "oci" && u.Scheme != "https":
		v.add("%s must be %s (scheme oci or https), got %q", name, want, val)
		return
	case u.Opaque != "" || u.Host == "":
		v.add("%s must name a host after %s://, got %q", name, u.Scheme, val)
		return
	case u.User != nil:
		v.add("%s must not carry credentials, got %q: stack files are committed and chart arguments are kept in the state; "+
			"give Helm the mirror's credentials instead (docs/charts.md)", name, u.Redacted())
		return
	}
	if u.Hostname() == "" {
		v.add("%s must name a host, got %q", name, val)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			v.add("%s port must be from 1 to 65535, got %q", name, val)
		}
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(val, "#") {
		v.add("%s must not have a query or fragment (the program appends the chart's name), got %q", name, val)
	}
	if strings.HasSuffix(u.Path, "/") {
		v.add("%s must not end with '/', got %q", name, val)
	} else if u.Scheme == "oci" && u.Path != "" && !ociRepositoryPathRe.MatchString(strings.TrimPrefix(u.Path, "/")) {
		v.add("%s path must be an OCI repository path (lower-case letters and digits, separated by '.', '_', '__', '-' or '/'), got %q", name, val)
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
