package karpenter

import (
	"testing"

	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/karpenter-provider-aws/pkg/providers/pricing"

	"github.com/eventscale/eventscale/internal/cost/prices"
)

// TestCostEC2PricesAreKarpenters keeps the cost estimate's EC2 prices (internal/cost/prices) the
// ones this twin prices the scaling table's nodes with: karpenter-provider-aws v1.14.1's built-in
// on-demand table. That table holds us-east-1 only; when it gains us-west-2, the estimate's
// "no us-west-2 price" note is no longer true.
func TestCostEC2PricesAreKarpenters(t *testing.T) {
	east := pricing.InitialOnDemandPricesAWS[prices.USEast1]
	if len(east) == 0 {
		t.Fatalf("karpenter-provider-aws's table has no %s prices", prices.USEast1)
	}
	types := prices.EC2InstanceTypes()
	if len(types) == 0 {
		t.Fatal("internal/cost/prices lists no EC2 instance type")
	}
	for _, it := range types {
		p, _ := prices.Lookup(prices.EC2(it))
		got, ok := p.In(prices.USEast1)
		want, known := east[ec2types.InstanceType(it)]
		switch {
		case !known:
			t.Errorf("%s: not in karpenter-provider-aws v1.14.1's %s table", it, prices.USEast1)
		case !ok || got != want:
			t.Errorf("%s in %s: internal/cost/prices says %v (set: %v), Karpenter's table %v", it, prices.USEast1, got, ok, want)
		}
		if _, ok := p.In(prices.USWest2); ok {
			t.Errorf("%s has a %s price, but its source (Karpenter's table) has none", it, prices.USWest2)
		}
	}
	if west, ok := pricing.InitialOnDemandPricesAWS[prices.USWest2]; ok {
		t.Errorf("karpenter-provider-aws's table now has %d %s prices: record them in internal/cost/prices", len(west), prices.USWest2)
	}
}
