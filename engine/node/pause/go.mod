module istio-exit-study/engine/node/pause

go 1.25
