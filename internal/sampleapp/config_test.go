package sampleapp

import (
	"io"
	"reflect"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	tests := map[string]struct {
		args    []string
		env     map[string]string
		want    Settings
		wantErr bool
	}{
		"defaults": {
			want: Settings{Config: Config{Version: "v1"}, Listen: "127.0.0.1:8080"},
		},
		"environment": {
			env: map[string]string{"VERSION": "v2", "ERROR_RATE": "0.25", "LATENCY": "20ms", "JITTER": "5ms", "PORT": "9123"},
			want: Settings{
				Config: Config{Version: "v2", ErrorRate: 0.25, Latency: 20 * time.Millisecond, Jitter: 5 * time.Millisecond},
				Listen: "127.0.0.1:9123",
			},
		},
		"flags win over environment": {
			args: []string{"--version", "v3", "--error-rate", "1", "--latency", "1s", "--jitter", "0s", "--listen", "127.0.0.1:0"},
			env:  map[string]string{"VERSION": "v2", "ERROR_RATE": "0.25", "LATENCY": "20ms", "JITTER": "5ms", "PORT": "9123"},
			want: Settings{Config: Config{Version: "v3", ErrorRate: 1, Latency: time.Second}, Listen: "127.0.0.1:0"},
		},
		"error rate above one":      {args: []string{"--error-rate", "1.5"}, wantErr: true},
		"negative error rate":       {args: []string{"--error-rate", "-0.1"}, wantErr: true},
		"negative latency":          {args: []string{"--latency", "-1s"}, wantErr: true},
		"huge jitter":               {args: []string{"--jitter", "2h"}, wantErr: true},
		"bad env error rate":        {env: map[string]string{"ERROR_RATE": "lots"}, wantErr: true},
		"bad env latency":           {env: map[string]string{"LATENCY": "5"}, wantErr: true},
		"bad env port":              {env: map[string]string{"PORT": "http"}, wantErr: true},
		"listen without port":       {args: []string{"--listen", "127.0.0.1"}, wantErr: true},
		"stray argument":            {args: []string{"serve"}, wantErr: true},
		"unknown flag":              {args: []string{"--colour"}, wantErr: true},
		"env error rate above one":  {env: map[string]string{"ERROR_RATE": "2"}, wantErr: true},
		"port from env out of band": {env: map[string]string{"PORT": "70000"}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseFlags(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParseFlags() = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseFlags() error: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseFlags() = %+v, want %+v", got, tc.want)
			}
		})
	}
}
