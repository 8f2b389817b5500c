// Package controller holds the end-to-end tests of `sluice controller`
// against a real kube-apiserver and etcd and a real Prometheus: the
// controller runs as a process, as it would in a cluster, and the tests act
// as the user (kubectl, the sluice CLI), the kubelet (Deployment status) and
// the mesh (traffic by the VirtualService's weights, Istio's metrics).
package controller
