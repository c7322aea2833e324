//go:build tools

// kwok, which keeps helm/test/cluster-up's fake GPU node and the pods bound to it alive.
package tools

import _ "sigs.k8s.io/kwok/cmd/kwok"
