# Sourced by the suites (interop/, bench/, reliability/): a throw-away CA and localhost server certificates,
# made the same way for every suite so that a client trusting one CA file behaves alike in all of them.
# Needs openssl; every key is EC P-256, every certificate lives two days.

# test_pki_ca DIR CN: writes DIR/ca.pem and its key DIR/ca-key.pem.
test_pki_ca() {
  local dir=$1 cn=$2
  mkdir -p "$dir"
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$dir/ca-key.pem" 2>/dev/null
  openssl req -x509 -new -key "$dir/ca-key.pem" -sha256 -days 2 -subj "/CN=$cn" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -out "$dir/ca.pem" 2>/dev/null
}

# test_pki_leaf DIR CN CERT KEY: a server certificate for localhost and 127.0.0.1, signed by the CA in DIR.
test_pki_leaf() {
  local dir=$1 cn=$2 cert=$3 key=$4
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$key" 2>/dev/null
  openssl req -new -key "$key" -subj "/CN=$cn" -out "$cert.csr" 2>/dev/null
  openssl x509 -req -in "$cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca-key.pem" -CAcreateserial -days 2 -sha256 \
    -extfile <(printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=DNS:localhost,IP:127.0.0.1") \
    -out "$cert" 2>/dev/null
  rm -f "$cert.csr"
}
