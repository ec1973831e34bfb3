{{- define "zkensemble.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "zkensemble.labels" -}}
app.kubernetes.io/name: zkensemble-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "zkensemble.selector" -}}
app.kubernetes.io/name: zkensemble-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "zkensemble.serviceAccount" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "zkensemble.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is needed when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "zkensemble.webhookService" -}}{{ include "zkensemble.fullname" . }}-webhook{{- end -}}
{{- define "zkensemble.webhookConfig" -}}{{ include "zkensemble.fullname" . }}-validating{{- end -}}
{{- define "zkensemble.certSecret" -}}{{ include "zkensemble.fullname" . }}-webhook-cert{{- end -}}
