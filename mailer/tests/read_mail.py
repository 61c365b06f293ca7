#!/usr/bin/env python3
"""Reads the .eml files named on the command line with Python's `email` package (as a mail client would) and
prints them as JSON: decoded headers, the text and HTML parts, the attachments, and the images (inline parts
too), each QR code in them read back with zbar's `zbarimg` (Debian's zbar-tools). With --icalendar, each
calendar attachment is also read with the `icalendar` package (pip install icalendar)."""
import email
import email.policy
import json
import shutil
import subprocess
import sys
import tempfile


def qr_of(data):
    """What a QR code in the image says, as zbarimg reads it; None without zbarimg or without a code."""
    if not shutil.which("zbarimg"):
        return None
    with tempfile.NamedTemporaryFile(suffix=".png") as f:
        f.write(data)
        f.flush()
        read = subprocess.run(["zbarimg", "-q", "--raw", f.name], capture_output=True, text=True)
    return read.stdout.strip() or None


def calendar_fields(data):
    import icalendar

    cal = icalendar.Calendar.from_ical(data)
    events = []
    for event in cal.walk("VEVENT"):
        start, end = event.get("DTSTART"), event.get("DTEND")
        events.append({
            "method": str(cal.get("METHOD", "")),
            "uid": str(event.get("UID")),
            "sequence": int(event.get("SEQUENCE", 0)),
            "location": str(event.get("LOCATION", "")),
            "summary": str(event.get("SUMMARY", "")),
            "dtstart": start.dt.isoformat() if start else None,
            "dtstart_tzid": start.params.get("TZID") if start else None,
            "dtend": end.dt.isoformat() if end else None,
            "dtend_tzid": end.params.get("TZID") if end else None,
        })
    return events


def read(path, with_icalendar):
    with open(path, "rb") as f:
        message = email.message_from_binary_file(f, policy=email.policy.default)
    out = {
        "file": path,
        "from": str(message["From"]),
        "to": str(message["To"]),
        "subject": str(message["Subject"]),
        "auto_submitted": str(message.get("Auto-Submitted", "")),
        "message_id": str(message.get("Message-ID", "")),
        "content_type": message.get_content_type(),
        "text": None,
        "html": None,
        "attachments": [],
        "images": [],
    }
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    out["text"] = text.get_content() if text else None
    out["html"] = html.get_content() if html else None
    for part in message.iter_attachments():
        data = part.get_content()
        if isinstance(data, str):
            data = data.encode("utf-8")
        attachment = {
            "filename": part.get_filename(),
            "content_type": part.get_content_type(),
            "method": part.get_param("method"),
            "content": data.decode("utf-8", "replace"),
        }
        if with_icalendar and part.get_content_type() == "text/calendar":
            attachment["events"] = calendar_fields(data)
        out["attachments"].append(attachment)
    for part in message.walk():
        if part.get_content_maintype() != "image":
            continue
        data = part.get_content()
        out["images"].append({
            "content_type": part.get_content_type(),
            "content_id": str(part.get("Content-ID", "")).strip("<>"),
            "disposition": part.get_content_disposition(),
            "bytes": len(data),
            "qr": qr_of(data),
        })
    return out


if __name__ == "__main__":
    args = sys.argv[1:]
    with_icalendar = "--icalendar" in args
    paths = [a for a in args if a != "--icalendar"]
    print(json.dumps([read(p, with_icalendar) for p in paths], ensure_ascii=False))
