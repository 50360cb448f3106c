; Tillcard installer for Windows (NSIS 3.08 or newer).
;
;   makensis /DVERSION=0.1.0 /DBUNDLE_DIR=dist\Tillcard /DOUT_FILE=dist\Tillcard-0.1.0-setup.exe ^
;            [/DSIGN="signtool sign /fd sha256 /tr http://timestamp.digicert.com /td sha256 /f cert.pfx /p %PASS%"] ^
;            packaging\windows\tillcard.nsi
;
; A per-machine install in Program Files with a Start-menu entry and an uninstaller. Upgrading
; over an older version removes the old program files first; the till's journal, logs and
; settings live in each user's %LOCALAPPDATA%\Tillcard and are never touched by an install,
; an upgrade or an uninstall: unsent operations survive all three. See docs/packaging.md.

Unicode true
ManifestDPIAware true
!ifdef NO_COMPRESSION
  SetCompress off  ; quick syntax and packaging-logic checks (tests/test_installer_scripts.py)
!else
  SetCompressor /SOLID lzma
!endif

!ifndef VERSION
  !error "pass the app's version: /DVERSION=X.Y.Z (packaging/bundle_contents.py prints it)"
!endif
!ifndef BUNDLE_DIR
  !define BUNDLE_DIR "..\..\dist\Tillcard"
!endif
!ifndef OUT_FILE
  !define OUT_FILE "Tillcard-${VERSION}-setup.exe"
!endif
!ifndef GUI_EXE
  !define GUI_EXE "Tillcard.exe"
!endif
!ifndef CLI_EXE
  !define CLI_EXE "pos-app.exe"
!endif
!ifndef ICON
  !define ICON "..\icons\tillcard.ico"
!endif

; Code signing: CI passes the signing command (secrets from CI variables); makensis runs it
; on the installer and on the uninstaller it writes, so both carry the signature.
!ifdef SIGN
  !finalize '${SIGN} "%1"' = 0
  !uninstfinalize '${SIGN} "%1"' = 0
!endif

!define APP_NAME "Tillcard"
!define PUBLISHER "Tillcard"
!define REG_KEY "Software\Tillcard"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Tillcard"

!include "MUI2.nsh"
!include "x64.nsh"
!include "FileFunc.nsh"
!include "LogicLib.nsh"
!include "WordFunc.nsh"

Name "${APP_NAME} ${VERSION}"
OutFile "${OUT_FILE}"
InstallDir "$PROGRAMFILES64\${APP_NAME}"
InstallDirRegKey HKLM "${REG_KEY}" "InstallDir"
RequestExecutionLevel admin
BrandingText "${APP_NAME} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIAddVersionKey "ProductName" "${APP_NAME}"
VIAddVersionKey "ProductVersion" "${VERSION}"
VIAddVersionKey "FileVersion" "${VERSION}"
VIAddVersionKey "CompanyName" "${PUBLISHER}"
VIAddVersionKey "FileDescription" "${APP_NAME} installer"
VIAddVersionKey "LegalCopyright" "${PUBLISHER}"

!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\${GUI_EXE}"
!define MUI_FINISHPAGE_RUN_TEXT "Start ${APP_NAME}"

!insertmacro MUI_PAGE_WELCOME
!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES
!insertmacro MUI_LANGUAGE "English"

Var OldDir
Var OldVersion

Function .onInit
  ${IfNot} ${RunningX64}
    MessageBox MB_ICONSTOP "${APP_NAME} needs 64-bit Windows 10 or newer."
    Abort
  ${EndIf}
  SetRegView 64
  SetShellVarContext all
  ReadRegStr $OldDir HKLM "${UNINST_KEY}" "InstallLocation"
  ReadRegStr $OldVersion HKLM "${UNINST_KEY}" "DisplayVersion"
  ${If} $OldDir != ""
    StrCpy $INSTDIR $OldDir  ; an upgrade goes where the old version is
  ${EndIf}
  ; An older version over a newer one is a mistake more often than a choice: ask (silent: no).
  ${If} $OldVersion != ""
    ${VersionCompare} "${VERSION}" "$OldVersion" $0
    ${If} $0 == 2
      MessageBox MB_YESNO|MB_ICONQUESTION "Tillcard $OldVersion is installed, which is newer than ${VERSION}. Replace it with the older version?" /SD IDNO IDYES +2
      Abort
    ${EndIf}
  ${EndIf}
FunctionEnd

Function un.onInit
  SetRegView 64
  SetShellVarContext all
FunctionEnd

; An older (or the same) version: run its uninstaller in place, silently. It removes the old
; program files and shortcuts only; the users' data folders are never its to touch.
Function RemovePreviousVersion
  ${If} $OldDir == ""
  ${OrIfNot} ${FileExists} "$OldDir\uninstall.exe"
    Return
  ${EndIf}
  DetailPrint "Removing the previous version from $OldDir"
  ExecWait '"$OldDir\uninstall.exe" /S _?=$OldDir' $0
  Delete "$OldDir\uninstall.exe"
  ${If} ${FileExists} "$OldDir\${CLI_EXE}"
    MessageBox MB_ICONSTOP "Tillcard is still running. Close Tillcard on this computer, then run the installer again."
    Abort
  ${EndIf}
FunctionEnd

Section "Tillcard" SecMain
  SectionIn RO
  Call RemovePreviousVersion
  SetOutPath "$INSTDIR"
  SetOverwrite on
  File /r "${BUNDLE_DIR}\*.*"
  WriteUninstaller "$INSTDIR\uninstall.exe"

  CreateDirectory "$SMPROGRAMS\${APP_NAME}"
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk" "$INSTDIR\${GUI_EXE}" "" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\${APP_NAME} (training).lnk" "$INSTDIR\${GUI_EXE}" "--training" "$INSTDIR\${GUI_EXE}" 0
  CreateShortcut "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk" "$INSTDIR\uninstall.exe"

  WriteRegStr HKLM "${REG_KEY}" "InstallDir" "$INSTDIR"
  WriteRegStr HKLM "${REG_KEY}" "Version" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayName" "${APP_NAME}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKLM "${UNINST_KEY}" "Publisher" "${PUBLISHER}"
  WriteRegStr HKLM "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\${GUI_EXE}"
  WriteRegStr HKLM "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKLM "${UNINST_KEY}" "UninstallString" '"$INSTDIR\uninstall.exe"'
  WriteRegStr HKLM "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\uninstall.exe" /S'
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKLM "${UNINST_KEY}" "NoRepair" 1
  ${GetSize} "$INSTDIR" "/S=0K" $0 $1 $2
  IntFmt $0 "0x%08X" $0
  WriteRegDWORD HKLM "${UNINST_KEY}" "EstimatedSize" "$0"
SectionEnd

; Only what the installer put there: never RMDir /r $INSTDIR, which may have been chosen as a
; folder holding other things. The users' data folders stay.
Section "Uninstall"
  Delete "$INSTDIR\${GUI_EXE}"
  Delete "$INSTDIR\${CLI_EXE}"
  RMDir /r "$INSTDIR\_internal"
  Delete "$INSTDIR\uninstall.exe"
  RMDir "$INSTDIR"

  Delete "$SMPROGRAMS\${APP_NAME}\${APP_NAME}.lnk"
  Delete "$SMPROGRAMS\${APP_NAME}\${APP_NAME} (training).lnk"
  Delete "$SMPROGRAMS\${APP_NAME}\Uninstall ${APP_NAME}.lnk"
  RMDir "$SMPROGRAMS\${APP_NAME}"

  DeleteRegKey HKLM "${UNINST_KEY}"
  DeleteRegKey HKLM "${REG_KEY}"
SectionEnd
