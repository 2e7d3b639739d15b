// Package prices is the dated table of AWS list prices the cost estimate (internal/cost) uses:
// for each price its value in us-east-1 and us-west-2 (or why there is none), AWS's pricing page
// and where its value was read. It has no dependencies, so the scaling twin's module can check
// the EC2 prices against Karpenter's own table.
package prices

import "strings"

// Read is the day every price below was read from its source.
const Read = "2026-12-07"

// The regions the price table covers: the shipped stacks' (dev us-west-2, prod us-east-1).
const (
	USEast1 = "us-east-1"
	USWest2 = "us-west-2"
)

// Regions lists the regions every price states a value (or its absence) for.
var Regions = []string{USEast1, USWest2}

// Price is one AWS list price: what it is per unit, its value per region, the official page
// that publishes it and where its value was read here, on Read.
type Price struct {
	// Key names the price in this package ("eks-cluster", "ec2:m5.large").
	Key string
	// Unit is what one price is paid for ("cluster-hour", "GB ingested").
	Unit string
	// PerRegion holds the value in US dollars for each region in Regions whose price was found
	// in a published source; a region left out was not found, and nothing is priced with it.
	PerRegion map[string]float64
	// Official is AWS's pricing page for it.
	Official string
	// Source says where the values were read: a published page, document or source file.
	Source string
	// Missing says, for a region left out of PerRegion, what was searched and not found.
	Missing string
}

// In returns the price in region and whether it is known.
func (p Price) In(region string) (float64, bool) {
	v, ok := p.PerRegion[region]
	return v, ok
}

// The keys of the table's prices.
const (
	EKS          = "eks-cluster"
	NATHour      = "nat-gateway-hour"
	PublicIPv4   = "public-ipv4-hour"
	FargateVCPU  = "fargate-vcpu-hour"
	FargateGB    = "fargate-gb-hour"
	Alarm        = "cloudwatch-alarm"
	Dashboard    = "cloudwatch-dashboard"
	LogIngestion = "cloudwatch-logs-ingestion"
	SQSRequests  = "sqs-requests"
)

// EC2 is the key of an instance type's on-demand price.
func EC2(instanceType string) string { return ec2Prefix + instanceType }

const ec2Prefix = "ec2:"

// karpenterPricing is where karpenter-provider-aws v1.14.1 keeps its built-in on-demand price
// table, the one the scaling twin prices its nodes with (generated 2026-07-06 for us-east-1; it
// holds no other region of the aws partition).
const karpenterPricing = "github.com/aws/karpenter-provider-aws@v1.14.1/pkg/providers/pricing/zz_generated.pricing_aws.go (InitialOnDemandPricesAWS[\"us-east-1\"]), Go module cache"

// noEC2West says why the EC2 prices have no us-west-2 value.
const noEC2West = "karpenter-provider-aws v1.14.1's table holds us-east-1 only (Karpenter falls back to it offline); no us-west-2 list price for this type was found in a published source here (the EC2 pricing page's stored copy carries no prices)"

// Table is the dated price table: every price the estimate uses, each with its source. Values
// for us-west-2 are set only where a source read here states them.
var Table = []Price{
	{
		Key: EKS, Unit: "cluster-hour (standard support)",
		PerRegion: map[string]float64{USEast1: 0.10, USWest2: 0.10},
		Official:  "https://aws.amazon.com/eks/pricing/",
		Source: "AWS Containers blog, \"Amazon EKS extended support for Kubernetes versions pricing\" (aws.amazon.com/blogs/containers/amazon-eks-extended-support-for-kubernetes-versions-pricing/): " +
			"\"$0.10 per cluster per hour\" for standard support, $0.60 in extended support, one rate per cluster with no regional table; " +
			"the same two rates in https://www.vantage.sh/blog/amazon-eks-extended-support-cost-kubernetes",
	},
	{
		Key: NATHour, Unit: "NAT gateway-hour",
		PerRegion: map[string]float64{USEast1: 0.045, USWest2: 0.045},
		Official:  "https://aws.amazon.com/vpc/pricing/",
		Source: "us-east-1: https://basavytix.com/blog/aws-nat-gateway-pricing (\"These are the us-east-1 rates\": $0.045/hr, $0.045/GB) and https://rajesh.medampudi.com/blog/aws-nat-gateway-hidden-tax; " +
			"us-west-2: https://cloudpipelines.pages.dev/guides/aws-nat-gateway-pricing-2026/ (US West (Oregon, N. California) ~$0.045/hr) and Defang's cost estimation docs (USW2-NatGateway-Hours, 730 hours = $32.85)",
	},
	{
		Key: PublicIPv4, Unit: "public IPv4 address-hour (a NAT gateway's Elastic IP)",
		PerRegion: map[string]float64{USEast1: 0.005, USWest2: 0.005},
		Official:  "https://aws.amazon.com/vpc/pricing/",
		Source: "AWS Networking & Content Delivery blog, \"Identify and optimize public IPv4 address usage on AWS\" (charged since 2024-02-01, every public IPv4 address); " +
			"$0.005 per IP per hour for every resource with one, NAT gateways included: https://www.doit.com/aws-public-ipv4-price-increase-the-complete-guide/ (one rate, no regional table)",
	},
	{
		Key: FargateVCPU, Unit: "vCPU-hour (Linux/x86)",
		PerRegion: map[string]float64{USEast1: 0.04048, USWest2: 0.04048},
		Official:  "https://aws.amazon.com/fargate/pricing/",
		Source: "us-east-1: https://www.vantage.sh/blog/fargate-pricing (\"we'll use us-east-1\": Linux/x86 $0.04048 per vCPU-hour) and https://www.wring.co/blog/aws-fargate-pricing-guide; " +
			"us-west-2: Defang's cost estimation docs (USW2-Fargate-vCPU-Hours:perCPU, 182.50 vCPU-hours = $7.39, which $0.04048 gives to the cent)",
	},
	{
		Key: FargateGB, Unit: "GB-hour (Linux/x86)",
		PerRegion: map[string]float64{USEast1: 0.004445, USWest2: 0.004445},
		Official:  "https://aws.amazon.com/fargate/pricing/",
		Source: "us-east-1: https://www.vantage.sh/blog/fargate-pricing (Linux/x86 $0.004445 per GB-hour); " +
			"us-west-2: Defang's cost estimation docs (USW2-Fargate-GB-Hours, 365 GB-hours = $1.62, which $0.004445 gives to the cent)",
	},
	{
		Key: Alarm, Unit: "standard-resolution alarm-month",
		PerRegion: map[string]float64{USEast1: 0.10},
		Official:  "https://aws.amazon.com/cloudwatch/pricing/",
		Source:    "https://c3x.dev/resources/aws/aws_cloudwatch_metric_alarm ($0.10/alarm-month, standard resolution) and https://cloudburn.io/blog/amazon-cloudwatch-pricing (US East (N. Virginia) rates from the official page)",
		Missing:   "no us-west-2 value in a published source read here (the official page's stored copy holds only its free tier)",
	},
	{
		Key: Dashboard, Unit: "dashboard-month",
		PerRegion: map[string]float64{USEast1: 3.00},
		Official:  "https://aws.amazon.com/cloudwatch/pricing/",
		Source:    "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ (\"dashboards at $3 each\") and https://cloudburn.io/blog/amazon-cloudwatch-pricing (US East (N. Virginia))",
		Missing:   "no us-west-2 value in a published source read here",
	},
	{
		Key: LogIngestion, Unit: "GB ingested (standard log class)",
		PerRegion: map[string]float64{USEast1: 0.50},
		Official:  "https://aws.amazon.com/cloudwatch/pricing/",
		Source:    "https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/ (\"Logs ingestion at $0.50/GB\") and https://cloudburn.io/blog/amazon-cloudwatch-pricing (US East (N. Virginia))",
		Missing:   "no us-west-2 value in a published source read here",
	},
	{
		Key: SQSRequests, Unit: "million requests (standard queue, first 100 billion a month)",
		PerRegion: map[string]float64{USEast1: 0.40},
		Official:  "https://aws.amazon.com/sqs/pricing/",
		Source:    "https://cloudburn.io/blog/amazon-sqs-pricing (\"All prices are for US East (N. Virginia)\": Standard $0.40/M) and https://www.factualminds.com/blog/amazon-sqs-pricing-64kb-rule-fifo-vs-standard/ (us-east-1); every API action is a request, each 64 KB chunk of a payload one more",
		Missing:   "no us-west-2 value in a published source read here",
	},
	// EC2 on-demand (Linux) prices of the instance types the scaling table's peaks launch.
	ec2Price("m5.large", 0.096),
	ec2Price("m6i.large", 0.096),
	ec2Price("c6a.xlarge", 0.153),
	ec2Price("m6a.xlarge", 0.1728),
	ec2Price("m6a.2xlarge", 0.3456),
}

func ec2Price(instanceType string, usEast1 float64) Price {
	return Price{
		Key: EC2(instanceType), Unit: instanceType + " instance-hour (on-demand, Linux)",
		PerRegion: map[string]float64{USEast1: usEast1},
		Official:  "https://aws.amazon.com/ec2/pricing/on-demand/",
		Source:    karpenterPricing,
		Missing:   noEC2West,
	}
}

// Lookup returns the price with key, and whether the table has it.
func Lookup(key string) (Price, bool) {
	for _, p := range Table {
		if p.Key == key {
			return p, true
		}
	}
	return Price{}, false
}

// EC2InstanceTypes lists the instance types the table prices, in table order.
func EC2InstanceTypes() []string {
	var out []string
	for _, p := range Table {
		if t, ok := strings.CutPrefix(p.Key, ec2Prefix); ok {
			out = append(out, t)
		}
	}
	return out
}
