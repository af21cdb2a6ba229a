{{/* The name of every object: "sealsync" unless fullnameOverride says otherwise. */}}
{{- define "sealsync.fullname" -}}
{{- default "sealsync" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The labels that select the Pods; fixed for the life of a release. */}}
{{- define "sealsync.selectorLabels" -}}
app.kubernetes.io/name: sealsync
app.kubernetes.io/instance: {{ include "sealsync.fullname" . }}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "sealsync.labels" -}}
{{ include "sealsync.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "sealsync.serviceAccountName" -}}
{{- default (include "sealsync.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The `sealsync run` arguments; a value left empty passes no flag. */}}
{{- define "sealsync.args" -}}
{{- $c := .Values.controller -}}
- run
- --listen-addr=0.0.0.0:{{ $c.port }}
- --cache-dir=/var/cache/sealsync
{{- with $c.keyRenewPeriod }}
- {{ printf "--key-renew-period=%s" (toString .) | quote }}
{{- end }}
{{- with $c.logFormat }}
- --log-format={{ . }}
{{- end }}
{{- with $c.keyCutoffTime }}
- {{ printf "--key-cutoff-time=%s" (toString .) | quote }}
{{- end }}
{{- with $c.keySize }}
- --key-size={{ . }}
{{- end }}
{{- with $c.selector }}
- {{ printf "--selector=%s" (toString .) | quote }}
{{- end }}
{{- with $c.leaseName }}
- {{ printf "--lease-name=%s" (toString .) | quote }}
{{- end }}
{{- with $c.leaseDuration }}
- --lease-duration={{ . }}
{{- end }}
{{- with $c.workers }}
- --workers={{ . }}
{{- end }}
{{- with $c.rsaThreads }}
- --rsa-threads={{ . }}
{{- end }}
{{- with $c.httpRateLimit }}
- --http-rate-limit={{ . }}
{{- end }}
{{- with $c.httpBurst }}
- --http-burst={{ . }}
{{- end }}
{{- if .Values.bitnami.reconcile }}
- --bitnami
{{- end }}
{{- if .Values.bitnami.importKeys }}
- --import-bitnami-keys
{{- end }}
{{- with .Values.bitnami.keysNamespace }}
- {{ printf "--bitnami-keys-namespace=%s" (toString .) | quote }}
{{- end }}
{{- range $c.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}
