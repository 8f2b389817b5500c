{{/* The chart name, for the app.kubernetes.io/name label. */}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every object's name: the release name, or <release>-sluice when
the release name does not say sluice already. Object names add a suffix
(-controller, -leader-election), so the prefix leaves room for it.
*/}}
{{- define "sluice.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "sluice.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels on every object. */}}
{{- define "sluice.labels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sluice
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* The controller pods' labels; a Deployment's selector never changes. */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (printf "%s-controller" (include "sluice.fullname" .)) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The controller's permissions: every verb it uses and nothing more. The same
rules as config/rbac/role.yaml (test/e2e/install compares them).
*/}}
{{- define "sluice.controllerRules" -}}
# Releases: the controller reads the spec, adds its finalizer and writes
# only the status.
- apiGroups: ["sluice.dev"]
  resources: ["releases"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["sluice.dev"]
  resources: ["releases/status"]
  verbs: ["get", "update", "patch"]
- apiGroups: ["sluice.dev"]
  resources: ["releases/finalizers"]
  verbs: ["update"]
# Workloads: <name>-primary and <name>-canary are created and scaled; the
# user's own Deployments are only read or scaled.
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
# The <name>-primary and <name>-canary Services of a target workload.
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "update", "patch"]
# Alert receivers' URLs (spec.alerts[].urlSecretRef): read one by name
# when there is news; never listed or watched.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
# An Event for every decision, through either events API.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create", "patch"]
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
# Routers: the user's objects; only the weights of named routes change.
- apiGroups: ["networking.istio.io"]
  resources: ["virtualservices", "destinationrules"]
  verbs: ["get", "list", "watch", "update", "patch"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["httproutes"]
  verbs: ["get", "list", "watch", "update", "patch"]
{{- end }}

{{/*
The load tester's Deployment and Service name: loadtester.serviceName (such
as flagger-loadtester, to keep the URLs of Flagger's webhooks), or
<fullname>-loadtester.
*/}}
{{- define "sluice.loadtesterName" -}}
{{- default (printf "%s-loadtester" (include "sluice.fullname" .)) .Values.loadtester.serviceName }}
{{- end }}

{{/* The load tester's labels, and the selector among them. */}}
{{- define "sluice.loadtesterSelectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: loadtester
{{- end }}

{{- define "sluice.loadtesterLabels" -}}
helm.sh/chart: {{ include "sluice.chart" . }}
{{ include "sluice.loadtesterSelectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: sluice
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}
