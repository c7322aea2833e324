//go:build tools

// CoreDNS, the cluster DNS of helm/test/cluster-up (its kubernetes plugin serves cluster.local).
package tools

import _ "github.com/coredns/coredns"
