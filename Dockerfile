# Relais container image: a static binary on distroless, running as nonroot.
# No Docker engine runs on the project's dev and CI machines, so this file is
# not built there; check it with `docker build .` where an engine exists.

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so that a code change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo) so it runs on distroless/static; time zones come from the
# time/tzdata import in cmd/relais, since the image has no zoneinfo.
RUN CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o /out/relais ./cmd/relais

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/relais /relais
# Numeric, so that Kubernetes runAsNonRoot can verify it (65532 is distroless nonroot).
USER 65532:65532
# In a container, listen on every interface (the default is loopback only).
ENV RELAIS_HTTP_ADDR=:8080
EXPOSE 8080
ENTRYPOINT ["/relais"]
CMD ["serve"]
