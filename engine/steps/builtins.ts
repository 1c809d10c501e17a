// The explicit list of built-in steps (no side-effect registration). Each lives in its own file
// (engine/steps/<type>.ts) or family folder (engine/steps/<family>/<type>.ts).
import type { AnyStepDefinition } from "./types.ts";
import { unzipStep } from "./archive/unzip.ts";
import { zipStep } from "./archive/zip.ts";
import { checkItemsStep } from "./check_items.ts";
import { dbExtractStep } from "./db/db_extract.ts";
import { dbExtractStreamStep } from "./db/db_extract_stream.ts";
import { dbFetchSmallStep } from "./db/db_fetch_small.ts";
import { excelFillFromFileStep } from "./excel/excel_fill_from_file.ts";
import { excelFillSmallStep } from "./excel/excel_fill_small.ts";
import { excelValidateTemplateStep } from "./excel/excel_validate_template.ts";
import { externalProcess } from "./external_process.ts";
import { mailSendStep } from "./mail_send.ts";
import { withLockStep } from "./with_lock.ts";
import { sftpDeleteFiles, smbDeleteFiles } from "./files/delete_files.ts";
import { sftpDownloadFiles, smbDownloadFiles } from "./files/download_files.ts";
import { sftpListFiles, smbListFiles } from "./files/list_files.ts";
import { sftpUploadFiles, smbUploadFiles } from "./files/upload_files.ts";

export const BUILTIN_STEPS: readonly AnyStepDefinition[] = [
  checkItemsStep,
  dbExtractStep,
  dbExtractStreamStep,
  dbFetchSmallStep,
  excelFillFromFileStep,
  excelFillSmallStep,
  excelValidateTemplateStep,
  externalProcess,
  mailSendStep,
  unzipStep,
  withLockStep,
  sftpListFiles,
  sftpDownloadFiles,
  sftpUploadFiles,
  sftpDeleteFiles,
  smbListFiles,
  smbDownloadFiles,
  smbUploadFiles,
  smbDeleteFiles,
  zipStep,
];
