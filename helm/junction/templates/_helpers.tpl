{{/* The release's base name: <release>-junction, or fullnameOverride; at most 30 characters, so that
<fullname>-<pool> (a pool name has at most 21) stays within the 52 a StatefulSet's name may have
(its pods' controller-revision-hash label adds 11 to it, and a label value has at most 63). */}}
{{- define "junction.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 30 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 30 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 30 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "junction.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "junction.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "junction.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "junction.orchestrator.selector" -}}
app.kubernetes.io/name: {{ include "junction.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: orchestrator
{{- end -}}

{{/* A pool's objects (StatefulSet, headless Service, PDB, HPA): <fullname>-<pool>. Called with (list $ $pool). */}}
{{- define "junction.pool.fullname" -}}
{{- $ := index . 0 -}}{{- $pool := index . 1 -}}
{{- printf "%s-%s" (include "junction.fullname" $) $pool.name -}}
{{- end -}}

{{- define "junction.pool.selector" -}}
{{- $ := index . 0 -}}{{- $pool := index . 1 -}}
app.kubernetes.io/name: {{ include "junction.name" $ }}
app.kubernetes.io/instance: {{ $.Release.Name }}
app.kubernetes.io/component: worker
junction.io/pool: {{ $pool.name }}
{{- end -}}

{{- define "junction.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/*
The orchestrator's config file: server and pools from the chart, the rest from .Values.config.
A dns pool's service is its headless Service's DNS name and the workers' port; a pool's
"orchestrator" map adds pool keys of docs/configuration.md (resolve_interval_ms, max_in_flight, ...).
*/}}
{{- define "junction.config" -}}
{{- $pools := list -}}
{{- range .Values.pools -}}
{{- $p := dict "name" .name "kind" .kind "models" .models -}}
{{- if eq .kind "dns" -}}
{{- $_ := set $p "service" (printf "%s.%s.svc.%s:%d" (include "junction.pool.fullname" (list $ .)) $.Release.Namespace $.Values.clusterDomain (int $.Values.workers.port)) -}}
{{- else -}}
{{- $_ := set $p "endpoints" .endpoints -}}
{{- end -}}
{{- $pools = append $pools (merge $p (.orchestrator | default dict)) -}}
{{- end -}}
{{- $server := dict "host" "0.0.0.0" "port" (int .Values.orchestrator.grpcPort) "http_port" (int .Values.orchestrator.httpPort) "shutdown_grace_ms" (mul (int .Values.orchestrator.shutdownGraceSeconds) 1000) -}}
{{- $config := dict "server" $server "pools" $pools -}}
{{- range $key, $value := .Values.config -}}
{{- if $value -}}{{- $_ := set $config $key $value -}}{{- end -}}
{{- end -}}
{{- toYaml $config -}}
{{- end -}}
