module junction.local/k8s-build/pause

go 1.26.0
