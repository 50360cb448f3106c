#!/usr/bin/env bash
# Build dist/Tillcard-VERSION.dmg from dist/Tillcard.app; sign and notarize it when the
# credentials are in the environment (CI secrets). See docs/packaging.md, "macOS".
#
#   TILLCARD_CODESIGN_IDENTITY  "Developer ID Application: Your Shop Ltd (TEAMID)"; the spec
#                               also reads it, so every binary in the .app is signed with the
#                               hardened runtime at build time
#   APPLE_ID, APPLE_TEAM_ID, APPLE_APP_PASSWORD   notarytool credentials (app-specific password)
set -euo pipefail
cd "$(dirname "$0")/../.."
version=$(python3 packaging/bundle_contents.py version)
app=dist/Tillcard.app
dmg="dist/Tillcard-${version}.dmg"
test -d "$app" || { echo "build the app first: pyinstaller packaging/tillcard.spec" >&2; exit 1; }

if [[ -n "${TILLCARD_CODESIGN_IDENTITY:-}" ]]; then
  codesign --verify --deep --strict --verbose=2 "$app"
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Tillcard ${version}" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"

if [[ -n "${TILLCARD_CODESIGN_IDENTITY:-}" ]]; then
  codesign --sign "$TILLCARD_CODESIGN_IDENTITY" --timestamp "$dmg"
  if [[ -n "${APPLE_ID:-}" && -n "${APPLE_TEAM_ID:-}" && -n "${APPLE_APP_PASSWORD:-}" ]]; then
    xcrun notarytool submit "$dmg" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
      --password "$APPLE_APP_PASSWORD" --wait
    xcrun stapler staple "$dmg"
    spctl --assess --type open --context context:primary-signature --verbose "$dmg"
  else
    echo "signed but not notarized: APPLE_ID, APPLE_TEAM_ID and APPLE_APP_PASSWORD are not set"
  fi
else
  echo "unsigned DMG (TILLCARD_CODESIGN_IDENTITY is not set): for testing only"
fi
echo "$dmg"
