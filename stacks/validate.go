package stacks

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
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

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
