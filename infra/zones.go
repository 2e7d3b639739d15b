package infra

import "regexp"

// EKSUnsupportedZonesSource is the page that lists the availability zones EKS refuses for a
// cluster's subnets (EKSUnsupportedZoneIDs).
const EKSUnsupportedZonesSource = "https://docs.aws.amazon.com/eks/latest/userguide/network-reqs.html"

// EKSUnsupportedZoneIDs maps each availability zone ID in which EKS refuses a cluster's subnets
// to its region. Creating a cluster with a subnet there fails with
// UnsupportedAvailabilityZoneException ("At least one of your specified cluster subnets is in an
// Availability Zone that does not support Amazon EKS", the EKS API reference). The list is by
// zone ID because zone IDs are the same in every account, while zone names map to different
// zones per account.
//
// Source, read 2026-12-07: EKSUnsupportedZonesSource, "Subnet requirements for clusters": "The
// subnets can't reside in the following Availability Zones", a table of Region / Region name /
// Disallowed Availability Zone IDs: us-east-1 US East (N. Virginia) use1-az3, us-west-1 US West
// (N. California) usw1-az2, ca-central-1 Canada (Central) cac1-az3 (the page's source:
// github.com/awsdocs/amazon-eks-user-guide latest/ug/networking/network-reqs.adoc at
// 101184ecc138f7f661b484f2cabac7022b726a6b). eksctl avoids the same three
// (github.com/eksctl-io/eksctl pkg/az/az.go, zoneIDsToAvoid, at
// 99984adb6164ece593c0728523b7f497ea61d60e, 2026-08-21, read 2026-12-07).
var EKSUnsupportedZoneIDs = map[string]string{
	"use1-az3": "us-east-1",
	"usw1-az2": "us-west-1",
	"cac1-az3": "ca-central-1",
}

// zoneIDRe is the shape of an availability zone ID: a region's short code, "-az" and a number
// (use1-az1, apne1-az4). The IDs of Local and Wavelength Zones have one part more
// (usw2-lax1-az1) and do not match, as the zone names of the config's availabilityZones only
// name a region's own zones.
var zoneIDRe = regexp.MustCompile(`^[a-z]+[0-9]+-az[0-9]+$`)

// IsZoneID reports whether s has the shape of an availability zone ID such as "use1-az1".
func IsZoneID(s string) bool { return zoneIDRe.MatchString(s) }
