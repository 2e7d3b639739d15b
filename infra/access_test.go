package infra

import "testing"

func TestEKSAccessPolicyArn(t *testing.T) {
	t.Parallel()
	for part, want := range map[string]string{
		"aws":        "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
		"aws-cn":     "arn:aws-cn:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
		"aws-us-gov": "arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
	} {
		if got := EKSAccessPolicyArn(part, ClusterAdminAccessPolicy); got != want {
			t.Errorf("EKSAccessPolicyArn(%q) = %q, want %q", part, got, want)
		}
	}
}

func TestAccessEntryKey(t *testing.T) {
	t.Parallel()
	a := "arn:aws:iam::123456789012:role/platform-admin"
	// Pinned: a change would rename, and so replace, every admin access entry of every stack.
	if got, want := AccessEntryKey(a), "ce910ad9eb"; got != want {
		t.Errorf("AccessEntryKey(%q) = %q, want %q", a, got, want)
	}
	seen := map[string]string{}
	for _, arn := range []string{
		a,
		"arn:aws:iam::123456789012:role/ci/platform-admin", // same role name, another path
		"arn:aws:iam::210987654321:role/platform-admin",    // same name, another account
		"arn:aws:iam::123456789012:user/platform-admin",
	} {
		k := AccessEntryKey(arn)
		if len(k) != 10 {
			t.Errorf("AccessEntryKey(%q) = %q, want 10 hex digits", arn, k)
		}
		if prev, dup := seen[k]; dup {
			t.Errorf("AccessEntryKey(%q) = AccessEntryKey(%q) = %q", arn, prev, k)
		}
		seen[k] = arn
	}
}
