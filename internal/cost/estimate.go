// Package cost estimates what a stack costs a month from AWS list prices: idle (queues empty,
// no EC2 node) and at the scaling table's peak (every workload at maxReplicas, held all month).
// The quantities are counted from the stack's offline plan (internal/offline), the prices come
// from one dated table (Table), each with its source.
package cost

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/eventscale/eventscale/internal/cost/prices"
)

// HoursPerMonth is the month the estimate prices: 365 days × 24 hours / 12.
const HoursPerMonth = 730

const secondsPerMonth = HoursPerMonth * 3600

// SQS request rates the program's controllers cause, besides the workers'.
const (
	// KEDA's aws-sqs-queue scaler reads a queue with one GetQueueAttributes call
	// (github.com/kedacore/keda/v2@v2.20.2 pkg/scalers/aws_sqs_queue_scaler.go, getAwsSqsQueueLength;
	// Go module cache, read 2026-12-07): once per pollingInterval, and while the workload runs
	// once more per HPA sync (kube-controller-manager's 15 s), which the metrics adapter answers
	// by reading the scaler.
	hpaSyncSeconds = 15
	// Karpenter long-polls its interruption queue: ReceiveMessage with WaitTimeSeconds 20
	// (github.com/aws/karpenter-provider-aws@v1.14.1 pkg/providers/sqs/sqs.go; read 2026-12-07).
	karpenterPollSeconds = 20
	// requestsPerMessage: a message is sent, received and deleted, one request each when every
	// call carries one message (the worker's receive and delete batches carry up to its free
	// slots, so with concurrency 1 one each); batching lowers it.
	requestsPerMessage = 3
)

// Line is one row of an estimate.
type Line struct {
	Item string
	// Idle and Peak describe the quantity in each state.
	IdleQty, PeakQty string
	// Unit is the unit price as shown ("$0.10 / cluster-hour").
	Unit string
	// IdleCost and PeakCost are US dollars a month; meaningful only when Priced.
	IdleCost, PeakCost float64
	// Priced is false when the region has no price for the line, or the quantity is not modelled:
	// the line is left out of the totals and Note says why.
	Priced bool
	Note   string
}

// Estimate is a stack's monthly cost, idle and at the peak.
type Estimate struct {
	Stack, Region string
	Lines         []Line
	// IdleTotal and PeakTotal sum the priced lines.
	IdleTotal, PeakTotal float64
}

// New prices the quantities q with the table's prices for q.Region.
func New(q Quantities) (Estimate, error) {
	e := Estimate{Stack: q.Stack, Region: q.Region}
	price := func(key string) (prices.Price, float64, bool, error) {
		p, ok := prices.Lookup(key)
		if !ok {
			return prices.Price{}, 0, false, fmt.Errorf("the price table has no %q", key)
		}
		v, ok := p.In(q.Region)
		return p, v, ok, nil
	}
	// steady adds a line whose quantity is the same idle and at the peak.
	steady := func(item, key string, n int, qty string, perMonth func(v float64) float64) error {
		if n == 0 {
			return nil
		}
		p, v, ok, err := price(key)
		if err != nil {
			return err
		}
		l := Line{Item: item, IdleQty: qty, PeakQty: qty}
		l.price(ok, q.Region, fmt.Sprintf("%s / %s", dollars(v), p.Unit), perMonth(v), perMonth(v))
		e.Lines = append(e.Lines, l)
		return nil
	}
	hourly := func(n int) func(float64) float64 {
		return func(v float64) float64 { return float64(n) * v * HoursPerMonth }
	}
	monthly := func(n int) func(float64) float64 {
		return func(v float64) float64 { return float64(n) * v }
	}
	if err := errors.Join(
		steady("EKS control plane", prices.EKS, q.Clusters, fmt.Sprint(q.Clusters), hourly(q.Clusters)),
		steady("NAT gateways", prices.NATHour, q.NATGateways, fmt.Sprint(q.NATGateways), hourly(q.NATGateways)),
		steady("Public IPv4 (the NAT gateways' Elastic IPs)", prices.PublicIPv4, q.PublicIPv4, fmt.Sprint(q.PublicIPv4), hourly(q.PublicIPv4)),
	); err != nil {
		return e, err
	}
	if err := e.fargate(q, price); err != nil {
		return e, err
	}
	if err := errors.Join(
		steady("CloudWatch alarms", prices.Alarm, q.Alarms, fmt.Sprint(q.Alarms), monthly(q.Alarms)),
		steady("CloudWatch dashboards", prices.Dashboard, q.Dashboards, fmt.Sprint(q.Dashboards), monthly(q.Dashboards)),
	); err != nil {
		return e, err
	}
	if len(q.LogTypes) > 0 {
		p, v, ok, err := price(prices.LogIngestion)
		if err != nil {
			return e, err
		}
		l := Line{Item: "CloudWatch Logs ingestion: control-plane logs (" + strings.Join(q.LogTypes, ", ") + ")",
			IdleQty: "not modelled", PeakQty: "not modelled", Unit: "—",
			Note: "the volume depends on API traffic"}
		if ok {
			l.Unit = fmt.Sprintf("%s / %s", dollars(v), p.Unit)
		}
		e.Lines = append(e.Lines, l)
	}
	if err := e.sqs(q, price); err != nil {
		return e, err
	}
	if err := e.nodes(q); err != nil {
		return e, err
	}
	for _, l := range e.Lines {
		if l.Priced {
			e.IdleTotal += l.IdleCost
			e.PeakTotal += l.PeakCost
		}
	}
	return e, nil
}

type priceFunc func(key string) (prices.Price, float64, bool, error)

// fargate adds a line per kind of Fargate pod: billed per vCPU-hour and GB-hour of its
// configuration, idle and at the peak alike.
func (e *Estimate) fargate(q Quantities, price priceFunc) error {
	_, cpu, okCPU, err := price(prices.FargateVCPU)
	if err != nil {
		return err
	}
	_, gb, okGB, err := price(prices.FargateGB)
	if err != nil {
		return err
	}
	for _, p := range q.Fargate {
		qty := fmt.Sprintf("%d × %s vCPU / %s GB", p.Replicas, num(p.VCPU), num(p.GiB))
		l := Line{Item: "Fargate: " + p.Name, IdleQty: qty, PeakQty: qty}
		perPod := p.VCPU*cpu + p.GiB*gb
		monthly := float64(p.Replicas) * perPod * HoursPerMonth
		l.price(okCPU && okGB, q.Region, fmt.Sprintf("%s / pod-hour (%s / vCPU-hour, %s / GB-hour)", dollars(perPod), dollars(cpu), dollars(gb)), monthly, monthly)
		e.Lines = append(e.Lines, l)
	}
	return nil
}

// sqs adds the SQS requests: idle, KEDA's polls of every work queue and Karpenter's of its
// interruption queue; at the peak also the HPA's metric reads and every workload's messages at
// the rate its maxReplicas pods process them (concurrency / simulated work each).
func (e *Estimate) sqs(q Quantities, price priceFunc) error {
	idle := float64(q.Clusters) * secondsPerMonth / karpenterPollSeconds
	peak := idle
	modelled := true
	for _, w := range q.Workloads {
		polls := float64(secondsPerMonth) / float64(max(w.PollingIntervalSeconds, 1))
		idle += polls
		peak += polls + secondsPerMonth/hpaSyncSeconds
		if w.SimulatedWork <= 0 {
			modelled = false
			continue
		}
		rate := float64(w.MaxReplicas*w.Concurrency) / w.SimulatedWork.Seconds()
		peak += rate * requestsPerMessage * secondsPerMonth
	}
	p, v, ok, err := price(prices.SQSRequests)
	if err != nil {
		return err
	}
	l := Line{Item: "SQS requests", IdleQty: millions(idle) + " / month", PeakQty: millions(peak) + " / month"}
	if !modelled {
		l.PeakQty = millions(peak) + " / month + messages (not modelled: a workload's handler time is 0)"
	}
	l.price(ok, q.Region, fmt.Sprintf("%s / %s", dollars(v), p.Unit), idle/1e6*v, peak/1e6*v)
	e.Lines = append(e.Lines, l)
	return nil
}

// nodes adds the EC2 nodes: none idle (the workloads scale to zero and Karpenter removes empty
// nodes), and at the peak the scaling table's nodes for a plan with this fingerprint.
func (e *Estimate) nodes(q Quantities) error {
	l := Line{Item: "EC2 nodes (Karpenter)", IdleQty: "0", Priced: true}
	peak, ok := peakFor(q.PeakFingerprint)
	if !ok {
		l.PeakQty, l.Unit, l.Priced = "not computed", "—", false
		l.Note = "the scaling table (tests/twin) has no result for this NodePool, zones and workloads"
		e.Lines = append(e.Lines, l)
		return nil
	}
	groups, err := peak.Groups()
	if err != nil {
		return err
	}
	l.PeakQty = peak.Nodes
	var units []string
	spot := false
	for _, g := range groups {
		// Types that tie for cheapest share a price; take the lowest the region has.
		best, found := math.Inf(1), false
		for _, t := range g.InstanceTypes {
			p, ok := prices.Lookup(prices.EC2(t))
			if !ok {
				return fmt.Errorf("the price table has no %s, which the %s peak launches", t, peak.Stack)
			}
			if v, ok := p.In(q.Region); ok && v < best {
				best, found = v, true
			}
		}
		if !found {
			l.Priced = false
			l.Note = "no " + q.Region + " price found in a published source for " + strings.Join(g.InstanceTypes, "/")
			continue
		}
		units = append(units, fmt.Sprintf("%s / %s-hour", dollars(best), strings.Join(g.InstanceTypes, "/")))
		l.PeakCost += float64(g.Count) * best * HoursPerMonth
		spot = spot || g.CapacityType == "spot"
	}
	l.Unit = strings.Join(units, ", ")
	if l.Unit == "" {
		l.Unit = "—"
	}
	if spot && l.Priced {
		l.Note = "spot nodes at the on-demand price: an upper bound"
	}
	e.Lines = append(e.Lines, l)
	return nil
}

// price sets the line's unit price and monthly costs when the region has a price (ok), and
// otherwise marks it unpriced.
func (l *Line) price(ok bool, region, unit string, idle, peak float64) {
	if !ok {
		l.Unit, l.Note = "—", "no "+region+" price found in a published source"
		return
	}
	l.Unit, l.IdleCost, l.PeakCost, l.Priced = unit, idle, peak, true
}

func dollars(v float64) string {
	s := fmt.Sprintf("$%.6f", v)
	s = strings.TrimRight(s, "0")
	if i := strings.Index(s, "."); len(s)-i-1 < 2 {
		s += strings.Repeat("0", 2-(len(s)-i-1))
	}
	return s
}

func num(v float64) string { return strings.TrimSuffix(fmt.Sprintf("%g", v), ".0") }

func millions(n float64) string { return fmt.Sprintf("%.2f M", n/1e6) }
