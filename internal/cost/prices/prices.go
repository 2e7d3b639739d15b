// Package prices is the dated table of AWS list prices the cost estimate (internal/cost) uses:
// for each price its value in us-east-1 and us-west-2 (or why there is none), AWS's pricing page
// and where its value was read. It has no dependencies, so the scaling twin's module can check
// the EC2 prices against Karpenter's own table.
package prices

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

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
	Key string `json:"key"`
	// Unit is what one price is paid for ("cluster-hour", "GB ingested").
	Unit string `json:"unit"`
	// PerRegion holds the value in US dollars for each region in Regions whose price was found
	// in a published source; a region left out was not found, and nothing is priced with it.
	PerRegion map[string]float64 `json:"perRegion"`
	// Official is AWS's pricing page for it.
	Official string `json:"official"`
	// Source says where the values were read: a published page, document or source file.
	Source string `json:"source"`
	// Missing says, for a region left out of PerRegion, what was searched and not found.
	Missing string `json:"missing,omitempty"`
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

// The EC2 prices (keys "ec2:<type>") are the on-demand Linux prices of the instance types the
// scaling table's peaks launch, read from karpenter-provider-aws v1.14.1's built-in table
// (pkg/providers/pricing/zz_generated.pricing_aws.go, InitialOnDemandPricesAWS["us-east-1"],
// generated 2026-07-06 for us-east-1 only), the one the scaling twin prices its nodes with;
// tests/twin/karpenter's TestCostEC2PricesAreKarpenters checks them against it.

//go:embed prices.json
var tableJSON []byte

// Table is the dated price table (prices.json): every price the estimate uses, each with its
// source. Values for us-west-2 are set only where a source read here states them.
var Table = mustParse(tableJSON)

func mustParse(b []byte) []Price {
	var t []Price
	if err := json.Unmarshal(b, &t); err != nil {
		panic(fmt.Sprintf("internal/cost/prices: prices.json: %v", err))
	}
	return t
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
