{{- define "circle.name" -}}
{{- if .Values.nameOverride }}{{ .Values.nameOverride }}{{- else }}{{ .Chart.Name }}{{- end }}
{{- end }}

{{- define "circle.fullname" -}}
{{- if .Values.fullnameOverride }}{{ .Values.fullnameOverride }}{{- else }}{{ .Release.Name }}-{{ include "circle.name" . }}{{- end }}
{{- end }}

{{- define "circle.workers" -}}
{{- if .Values.mediasoup.numWorkers }}{{ .Values.mediasoup.numWorkers }}{{- else }}{{ .Values.resources.requests.cpu }}{{- end }}
{{- end }}

{{- define "circle.selectorLabels" -}}
app.kubernetes.io/name: {{ include "circle.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "circle.labels" -}}
{{ include "circle.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end }}

{{- define "circle.alertScope" -}}
job="{{ include "circle.fullname" . }}",namespace="{{ .Release.Namespace }}"
{{- end }}
