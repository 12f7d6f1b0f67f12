#!/usr/bin/env bash
# Demo data for `make run` on a laptop: on a data directory without a database, adds a demo
# administrator, prescriber and pharmacist (client certificates in DIR/staff/, TOTP URIs printed
# and kept in DIR/DEMO.txt), a demo pharmacy-system service account and a demo courier service
# account (client certificates in DIR/service-accounts/). Never for production:
# the demo passwords are in this file.
#   scripts/demo-data.sh DATA_DIR MEDEXPRESS_BINARY
set -euo pipefail
data_dir=${1:?usage: demo-data.sh DATA_DIR MEDEXPRESS_BINARY}
bin=${2:?usage: demo-data.sh DATA_DIR MEDEXPRESS_BINARY}
[ -e "$data_dir/medexpress.sqlite3" ] && exit 0

password="demo staff password"
summary="$data_dir/DEMO.txt"
mkdir -p "$data_dir"
( umask 077; : >"$summary" )
{
  echo "MedExpress demo data (for a laptop only). Staff password: $password"
  echo "Staff sign in with their certificate (DIR/staff/NAME.pem/.key), the password and a TOTP code."
} >"$summary"
add() {
  MEDEXPRESS_STAFF_PASSWORD="$password" "$bin" staff add --data-dir "$data_dir" "$@" | tee -a "$summary"
}
add --role ADMIN --username demo-admin --given-name Dee --family-name Admin --email admin@medexpress.example
add --role PRESCRIBER --username demo-prescriber --given-name Priya --family-name Prescriber \
  --email prescriber@medexpress.example --registering-body GMC --registration-number 1234567 --profession "General practitioner" \
  --address "1 Demo Surgery; Example Street" --town Leeds --postcode "LS1 1AA"
add --role PHARMACIST --username demo-pharmacist --given-name Phil --family-name Pharmacist \
  --email pharmacist@medexpress.example
"$bin" service-account add --data-dir "$data_dir" --name demo-pharmacy-system --role PHARMACY_SYSTEM | tee -a "$summary"
"$bin" service-account add --data-dir "$data_dir" --name demo-courier --role COURIER | tee -a "$summary"
echo "demo data written; credentials in $summary"
